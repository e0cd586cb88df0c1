"""What a Step Functions definition touches, read from the definition itself (no CDK here, plain Python).

Every workflow's role is derived from its own Task states: the service integration (`dynamodb:updateItem`,
`aws-sdk:dynamodb:updateItem.waitForTaskToken`, `sqs:sendMessage`...) gives the IAM action, and the static
`TableName` / `QueueUrl` / `FunctionName` gives the resource. A definition that names its table at run time
(`TableName.$`) or uses an integration this module does not know is refused at synth time rather than
granted `*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# arn:<partition>:states:::<integration>[.sync|.waitForTaskToken]
_SERVICE_ARN = re.compile(r"^arn:(?P<partition>aws[\w-]*):states:::(?P<rest>.+)$")
_PATTERNS = (".waitForTaskToken", ".sync:2", ".sync")


class UnsupportedDefinition(ValueError):
    """A Task whose resource cannot be derived statically (least privilege would be lost)."""


@dataclass(frozen=True)
class Grant:
    """IAM actions on one resource: `kind` is "table" (target = table name), "queue" (queue URL),
    "function" (function name or ARN), "topic" (topic ARN) or "bus" (event bus name or ARN)."""

    kind: str
    target: str
    actions: tuple[str, ...]
    index: str | None = None


def iter_states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, including those inside Parallel branches and Map processors."""
    for name, state in definition.get("States", {}).items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from iter_states(branch)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from iter_states(processor)


def task_states(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(n, s) for n, s in iter_states(definition) if s.get("Type") == "Task"]


def _pascal(action: str) -> str:
    return action[:1].upper() + action[1:]


def _static(name: str, state: dict[str, Any], key: str) -> str:
    params = state.get("Parameters") or state.get("Arguments") or {}
    if key in params and isinstance(params[key], str):
        return str(params[key])
    if f"{key}.$" in params:
        raise UnsupportedDefinition(f"state {name}: {key} is chosen at run time; name it statically")
    raise UnsupportedDefinition(f"state {name}: no {key}")


def _integration(name: str, resource: str) -> tuple[str, str]:
    """(service, API action) of a service-integration ARN: `dynamodb:putItem`, `aws-sdk:dynamodb:query`..."""
    match = _SERVICE_ARN.match(resource)
    if not match:
        raise UnsupportedDefinition(f"state {name}: resource {resource!r} is not a service integration")
    rest = match.group("rest")
    for suffix in _PATTERNS:
        rest = rest.removesuffix(suffix)
    parts = rest.split(":")
    if parts[0] == "aws-sdk" and len(parts) == 3:
        return parts[1], parts[2]
    if parts[0] != "aws-sdk" and len(parts) == 2:
        return parts[0], parts[1]
    raise UnsupportedDefinition(f"state {name}: cannot read {resource!r}")


def grants(definition: dict[str, Any]) -> list[Grant]:
    """The least set of grants the definition's Task states need, merged per resource."""
    merged: dict[tuple[str, str, str | None], set[str]] = {}

    def add(kind: str, target: str, action: str, index: str | None = None) -> None:
        merged.setdefault((kind, target, index), set()).add(action)

    for name, state in task_states(definition):
        resource = str(state.get("Resource", ""))
        if re.match(r"^arn:aws[\w-]*:lambda:", resource):
            add("function", resource, "lambda:InvokeFunction")
            continue
        service, api_action = _integration(name, resource)
        action = f"{service}:{_pascal(api_action)}"
        if service == "dynamodb":
            table = _static(name, state, "TableName")
            params = state.get("Parameters") or state.get("Arguments") or {}
            index = params.get("IndexName")
            add("table", table, action, index if isinstance(index, str) else None)
        elif service == "sqs":
            add("queue", _static(name, state, "QueueUrl"), action)
        elif service == "sns":
            add("topic", _static(name, state, "TopicArn"), action)
        elif service == "lambda":
            add("function", _static(name, state, "FunctionName"), "lambda:InvokeFunction")
        elif service == "events":
            params = state.get("Parameters") or state.get("Arguments") or {}
            entries = params.get("Entries") or [{}]
            for entry in entries:
                add("bus", str(entry.get("EventBusName", "default")), action)
        else:
            raise UnsupportedDefinition(f"state {name}: integration {service!r} is not mapped to a grant yet")
    return [Grant(kind, target, tuple(sorted(actions)), index) for (kind, target, index), actions in merged.items()]


def for_partition(definition: dict[str, Any], partition: str) -> dict[str, Any]:
    """The same definition with service-integration ARNs in `partition` (aws-cn in China regions)."""

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            resource = out.get("Resource")
            if isinstance(resource, str):
                out["Resource"] = re.sub(r"^arn:aws[\w-]*:", f"arn:{partition}:", resource)
            return out
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    result: dict[str, Any] = fix(definition)
    return result
