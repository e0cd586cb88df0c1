"""The local stack's item-level rollback for moto transactions keeps all-or-nothing semantics."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.localstack import moto_tx
from tests.support import ApiClient


@pytest.fixture
def patched(api: ApiClient) -> ApiClient:
    moto_tx.install()
    return api


def _table(client: object) -> str:
    client.create_table(  # type: ignore[attr-defined]
        TableName="tx-test", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    return "tx-test"


def test_a_cancelled_transaction_puts_back_exactly_what_it_touched(patched: ApiClient) -> None:
    client = boto3.client("dynamodb")
    table = _table(client)
    client.put_item(TableName=table, Item={"k": {"S": "a"}, "n": {"N": "1"}})
    client.put_item(TableName=table, Item={"k": {"S": "b"}, "n": {"N": "1"}})
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"k": {"S": "new"}, "n": {"N": "9"}}}},
                {"Update": {"TableName": table, "Key": {"k": {"S": "a"}}, "UpdateExpression": "SET n = :v",
                            "ExpressionAttributeValues": {":v": {"N": "2"}}}},
                {"Delete": {"TableName": table, "Key": {"k": {"S": "b"}}}},
                {"Update": {"TableName": table, "Key": {"k": {"S": "a2"}}, "UpdateExpression": "SET n = :v",
                            "ConditionExpression": "attribute_exists(k)",
                            "ExpressionAttributeValues": {":v": {"N": "3"}}}},
            ]
        )  # fmt: skip
    assert "Item" not in client.get_item(TableName=table, Key={"k": {"S": "new"}})
    assert client.get_item(TableName=table, Key={"k": {"S": "a"}})["Item"]["n"] == {"N": "1"}
    assert client.get_item(TableName=table, Key={"k": {"S": "b"}})["Item"]["n"] == {"N": "1"}
    assert "Item" not in client.get_item(TableName=table, Key={"k": {"S": "a2"}})


def test_the_api_still_writes_nothing_on_conflict(patched: ApiClient) -> None:
    body = {"parent": "430182-DCQ-QS", "segment": "P07", "name": "七片"}
    assert patched.post("/v1/units", user="qs-village", body=body).status == 201
    assert patched.post("/v1/units", user="qs-village", body=body | {"name": "重复"}).status == 409
    unit = patched.get("/v1/units/430182-DCQ-QS", user="qs-village").json
    assert unit["counts"]["children"] == 3  # the parent's counter moved once


def test_tables_are_not_copied_whole_any_more(patched: ApiClient) -> None:
    from moto.dynamodb import models  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    table = next(t for t in models.dynamodb_backends["123456789012"]["us-east-1"].tables.values())
    assert isinstance(table, Table)
    assert models.copy.deepcopy(table) is table  # type: ignore[attr-defined]  # the rollback snapshots items, not tables
