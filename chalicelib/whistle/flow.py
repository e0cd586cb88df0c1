"""The whistle workflow from Python: start one execution per ticket (named after it), signal each step
through the task token the state machine stored, and resume executions lost while the local stack was
down. The engine only keeps time; every rule stays in the service."""

from __future__ import annotations

import json
import time
from typing import Any

from chalicelib.core import workflows
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.whistle.store import FlowModel, WhistleStore

WORKFLOW = "whistle"


def execution_arn(name: str) -> str:
    machine = get_settings().state_machine_arn(WORKFLOW)
    return machine.replace(":stateMachine:", ":execution:", 1) + ":" + name


def _client() -> Any:
    import boto3  # noqa: PLC0415 - only requests that move a workflow pay for the client

    return boto3.client("stepfunctions")


class FlowRunner:
    def __init__(self, *, store: WhistleStore) -> None:
        self.store = store

    def record(self, ticket_id: str) -> FlowModel:
        """The workflow record written in the dispatching transaction (before the execution starts)."""
        return FlowModel(ticket_id, execution_arn=execution_arn(ticket_id), runs=1, waiting="1", lapses=[])

    def start(self, name: str, data: dict[str, Any]) -> None:
        """Start (idempotent by name); a failure is logged and left to the resumer."""
        client = _client()
        try:
            client.start_execution(
                stateMachineArn=get_settings().state_machine_arn(WORKFLOW), name=name, input=json.dumps(data)
            )
        except client.exceptions.ExecutionAlreadyExists:
            pass
        except Exception as e:  # the ticket is saved; the resumer restarts its deadline
            logger().warning("whistle workflow did not start", extra={"execution": name, "error": type(e).__name__})

    def signal(self, ticket_id: str, output: dict[str, Any], *, wait_seconds: float = 5.0) -> bool:
        """Hand the next step to the waiting execution. The engine stores a new token a moment after the
        previous signal, so wait for one; a token that just timed out is replaced by the next stage's."""
        client = _client()
        deadline = time.monotonic() + wait_seconds
        while True:
            flow = self.store.flow(ticket_id)
            token = flow.token if flow is not None else None
            if token:
                try:
                    client.send_task_success(taskToken=token, output=json.dumps(output))
                except (
                    client.exceptions.TaskTimedOut,
                    client.exceptions.InvalidToken,
                    client.exceptions.TaskDoesNotExist,
                ):
                    self.store.clear_token(ticket_id, token)
                else:
                    self.store.clear_token(ticket_id, token)
                    return True
            if time.monotonic() > deadline:
                logger().warning("whistle workflow not waiting", extra={"ticket": ticket_id})
                return False
            time.sleep(0.05)

    def resume(self, ticket_ids: list[str], inputs: dict[str, dict[str, Any]]) -> int:
        """Start a new run for each ticket whose execution is gone (the local stack restarted)."""
        client = _client()
        started = 0
        for ticket_id in ticket_ids:
            flow = self.store.flow(ticket_id)
            if flow is None or ticket_id not in inputs:
                continue
            try:
                status = client.describe_execution(executionArn=flow.execution_arn)["status"]
            except client.exceptions.ExecutionDoesNotExist:
                status = "MISSING"
            if status == "RUNNING":
                continue
            runs = int(flow.runs or 1) + 1
            name = f"{ticket_id}-r{runs}"
            self.store.restarted(ticket_id, execution_arn(name), runs)
            self.start(name, inputs[ticket_id] | {"stage": flow.stage or "waiting"})
            started += 1
        return started


def resume_waiting() -> int:
    from chalicelib.whistle.service import default_service  # noqa: PLC0415 - the service imports this module

    return default_service().resume_waiting()


if resume_waiting not in workflows.RESUMERS:
    workflows.RESUMERS.append(resume_waiting)
