"""The local stack's AWS resources: state machines from the ASL files, and the tables' items saved under
.local/ (on shutdown and every few minutes) and restored at start."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3

from chalicelib.core import workflows
from chalicelib.core.db import all_models
from chalicelib.core.settings import get_settings


def _client() -> Any:
    return boto3.client("dynamodb")


def save_tables(path: Path) -> int:
    """Write every table's items to `path` atomically; return the item count."""
    client = _client()
    dump: dict[str, list[dict[str, Any]]] = {}
    count = 0
    for model in all_models():
        name = model.Meta.table_name
        items: list[dict[str, Any]] = []
        for page in client.get_paginator("scan").paginate(TableName=name):
            items += page["Items"]
        dump[name] = items
        count += len(items)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dump, ensure_ascii=False))
    os.replace(tmp, path)
    return count


def load_tables(path: Path) -> int:
    """Put back the items saved by `save_tables` (tables must exist); return the item count."""
    if not path.exists():
        return 0
    client = _client()
    dump: dict[str, list[dict[str, Any]]] = json.loads(path.read_text())
    count = 0
    known = {m.Meta.table_name for m in all_models()}
    for name, items in dump.items():
        if name not in known:
            continue
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            pending: dict[str, Any] = {name: batch}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        count += len(items)
    return count


def create_state_machines(directory: Path = workflows.WORKFLOW_DIR) -> dict[str, str]:
    """Create or update one state machine per ASL file, named <prefix>-<workflow>, with every table name
    available as ${Table_<suffix>}; return workflow name -> ARN."""
    settings = get_settings()
    sfn = boto3.client("stepfunctions")
    existing = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    subs = {f"Table_{m.Meta.table_suffix}": settings.table_name(m.Meta.table_suffix) for m in all_models()}  # type: ignore[attr-defined]
    subs |= workflows.duration_substitutions()
    arns: dict[str, str] = {}
    for name in workflows.workflow_names(directory):
        full = settings.state_machine_name(name)
        definition = json.dumps(workflows.render(name, subs, directory))
        if full in existing:
            sfn.update_state_machine(stateMachineArn=existing[full], definition=definition)
            arns[name] = existing[full]
        else:
            role = "arn:aws:iam::123456789012:role/local-stepfunctions"
            arns[name] = sfn.create_state_machine(name=full, definition=definition, roleArn=role)["stateMachineArn"]
    return arns
