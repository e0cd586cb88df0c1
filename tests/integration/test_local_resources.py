"""The local stack's resources: state machines from ASL files (executed by moto's engine) and the tables
saved to disk and restored."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest

from chalicelib.core import workflows
from chalicelib.core.db import all_models, create_tables
from chalicelib.core.settings import get_settings
from chalicelib.grid.store import UnitModel
from chalicelib.localstack.state import create_state_machines, load_tables, save_tables
from tests.support import ApiClient

MARK_ASL = {
    "Comment": "test workflow: records that it ran, in a table named by substitution",
    "StartAt": "Mark",
    "States": {
        "Mark": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": "${Table_units}",
                "Item": {
                    "code": {"S.$": "$.code"},
                    "path": {"S": "T/WF"},
                    "name": {"S": "工作流写入"},
                    "level": {"S": "area"},
                },
            },
            "End": True,
        }
    },
}


def test_state_machines_are_created_from_asl_files_and_run(api: ApiClient, tmp_path: Path) -> None:
    (tmp_path / "mark.asl.json").write_text(json.dumps(MARK_ASL))
    arns = create_state_machines(tmp_path)
    assert set(arns) == {"mark"}
    sfn = boto3.client("stepfunctions")
    assert sfn.describe_state_machine(stateMachineArn=arns["mark"])["name"] == "test-mark"
    assert create_state_machines(tmp_path) == arns  # a second start updates, never duplicates
    execution = sfn.start_execution(stateMachineArn=arns["mark"], name="run-1", input=json.dumps({"code": "T-WF"}))
    deadline = time.monotonic() + 20
    status = "RUNNING"
    while status == "RUNNING" and time.monotonic() < deadline:
        status = sfn.describe_execution(executionArn=execution["executionArn"])["status"]
        time.sleep(0.1)
    assert status == "SUCCEEDED"
    assert UnitModel.get("T-WF").name == "工作流写入"


def test_durations_are_substituted_from_the_registry_or_the_environment(
    api: ApiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": "${Seconds_test_window}", "End": True}}}
    (tmp_path / "wait.asl.json").write_text(
        json.dumps(wait).replace('"${Seconds_test_window}"', "${Seconds_test_window}")
    )
    monkeypatch.setitem(workflows.DURATIONS, "test_window", 604800)  # a 7-day public notice by default
    sfn = boto3.client("stepfunctions")
    arn = create_state_machines(tmp_path)["wait"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])["States"]["W"]["Seconds"] == 604800
    monkeypatch.setenv("WORKFLOW_SECONDS_TEST_WINDOW", "2")
    create_state_machines(tmp_path)
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])["States"]["W"]["Seconds"] == 2
    assert get_settings().state_machine_arn("wait") == arn


def test_tables_survive_a_save_and_a_restore_into_a_fresh_backend(api: ApiClient, tmp_path: Path) -> None:
    created = api.post(
        "/v1/units", user="qs-village", body={"parent": "430182-DCQ-QS", "segment": "P05", "name": "五片"}
    )
    assert created.status == 201
    saved = save_tables(tmp_path / "tables.json")
    assert saved > 0
    for model in all_models():  # an empty backend, as after a restart
        model.delete_table()
    create_tables()
    assert UnitModel.count() == 0
    assert load_tables(tmp_path / "tables.json") == saved
    assert UnitModel.get("430182-DCQ-QS-P05").name == "五片"
    verify = api.get("/v1/audit/verify?entity_type=unit&entity_id=430182-DCQ-QS-P05", user="auditor")
    assert verify.json == {"ok": True, "events": 1, "broken_at_seq": None}


def test_restoring_nothing_is_a_no_op(api: ApiClient, tmp_path: Path) -> None:
    assert load_tables(tmp_path / "absent.json") == 0
