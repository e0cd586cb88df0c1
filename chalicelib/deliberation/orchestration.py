"""Step Functions for the deliberation slice: start an execution at a step, complete a waiting step with its
task token, restart a lost execution at the step the record says. The record in DynamoDB is the truth; an
execution only orders, waits (deadlines) and records lapses.

Execution names are `<record id>-<step>` (and `-r<n>` for the n-th restart), so a repeated start is refused by
Step Functions instead of running twice. Inputs carry ids and steps only, never personal data.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.deliberation.store import DeliberationStore

# errors of send_task_success meaning "this token no longer completes anything": read the run again
STALE_TOKEN = frozenset({"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"})


@functools.cache
def _client(region: str) -> Any:
    import boto3  # noqa: PLC0415 - boto3 only when a workflow is touched, never at cold start

    return boto3.client("stepfunctions", region_name=region)


def sfn() -> Any:
    return _client(get_settings().region)


def _error_code(e: Exception) -> str:
    response = getattr(e, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class Orchestrator:
    """One workflow (`deliberation`, `four_steps_two_publics`) seen from the API."""

    def __init__(self, *, workflow: str, store: DeliberationStore, token_wait: float = 10.0) -> None:
        self.workflow = workflow
        self.store = store
        self.token_wait = token_wait

    @property
    def state_machine_arn(self) -> str:
        return get_settings().state_machine_arn(self.workflow)

    def start(self, record_id: str, step: str, extra: dict[str, Any] | None = None, *, restarts: int = 0) -> str:
        """Start an execution at `step` and record it on the run; a repeated start of the same name is harmless."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        name = f"{record_id}-{step}" + (f"-r{restarts}" if restarts else "")
        payload = json.dumps({"id": record_id, "start_at": step, **(extra or {})})
        try:
            arn = str(
                sfn().start_execution(stateMachineArn=self.state_machine_arn, name=name, input=payload)["executionArn"]
            )
        except ClientError as e:
            if _error_code(e) != "ExecutionAlreadyExists":
                raise
            arn = self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        self.store.set_execution(record_id, arn, name, restarts=restarts)
        return arn

    def complete(self, record_id: str, step: str, output: dict[str, Any], *, recorded: str | None = None) -> bool:
        """Complete the task waiting at `step` with `output`; False when no such task appeared in time (the
        execution is lost, or behind). `recorded`: the next step the API already wrote on the run, over the
        step whose token is still there."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        steps = {step, recorded} if recorded else {step}
        deadline = time.monotonic() + self.token_wait
        while True:
            run = self.store.run(record_id)
            token = run.token if run is not None and run.step in steps else None
            if token and self.store.claim_token(record_id, token):
                try:
                    sfn().send_task_success(taskToken=token, output=json.dumps(output))
                    return True
                except ClientError as e:
                    if _error_code(e) not in STALE_TOKEN:
                        raise
                    # the deadline fired meanwhile: the lapse writes a new token for the same step
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def stop(self, record_id: str) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        run = self.store.run(record_id)
        if run is None or not run.execution_arn:
            return
        try:
            sfn().stop_execution(executionArn=run.execution_arn, cause="superseded by a restart at the recorded step")
        except ClientError as e:
            logger().info("stop_execution failed", extra={"workflow": self.workflow, "error": _error_code(e)})

    def restart(self, record_id: str, step: str, extra: dict[str, Any] | None = None) -> str:
        """Stop whatever runs for the record and start anew at `step` (the record's step)."""
        run = self.store.run(record_id)
        self.stop(record_id)
        restarts = int(run.restarts or 0) + 1 if run is not None else 1
        return self.start(record_id, step, extra, restarts=restarts)

    def advance(
        self,
        record_id: str,
        step: str,
        output: dict[str, Any],
        *,
        next_step: str,
        extra: dict[str, Any] | None = None,
        final: bool = False,
        recorded: bool = False,
    ) -> None:
        """The record has moved from `step` to `next_step`: complete the waiting task, or, when the execution
        is not there to complete, restart it at `next_step`. A final step closes the run (its step named
        `next_step`: closed, or forwarded for a courtyard record whose concerns went to the analysis).
        `recorded`: the API wrote `next_step` on the run in the record's transaction (a step the execution
        spends in a Wait state, which writes none); if a lapse wrote `step` again meanwhile, it is put back."""
        completed = self.complete(record_id, step, output, recorded=next_step if recorded else None)
        if recorded and completed:
            self.store.step_again(record_id, next_step, over=step)
        if final:
            if not completed:
                self.stop(record_id)
            self.store.close_run(record_id, next_step)
        elif not completed:
            logger().info("workflow restarted", extra={"workflow": self.workflow, "step": next_step})
            self.restart(record_id, next_step, extra)

    def is_running(self, record_id: str) -> bool:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        run = self.store.run(record_id)
        if run is None or not run.execution_arn:
            return False
        try:
            status = sfn().describe_execution(executionArn=run.execution_arn)["status"]
        except ClientError as e:
            if _error_code(e) in ("ExecutionDoesNotExist", "StateMachineDoesNotExist"):
                return False
            raise
        return bool(status == "RUNNING")


def reset() -> None:
    """Forget the cached client (tests switch AWS mocks)."""
    _client.cache_clear()
