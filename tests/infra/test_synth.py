"""infra/ checked offline: the CDK app synthesises a prod stack (aws) and a dev stack in a China region
(aws-cn) in its own virtualenv (a subprocess), and the templates are read here as JSON.

Also run on the output: cfn-lint (after the SAM transform), cdk-nag's AwsSolutions pack (annotations in the
cloud assembly), and asl-validator (npm) on every rendered state machine definition.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import workflows
from chalicelib.core.auth import ROLES
from chalicelib.core.csp import content_security_policy, directives
from chalicelib.core.db import all_models, table_definitions
from chalicelib.core.gateway import GATEWAY_RESPONSES
from tests.infra import infra_module

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
INFRA_PY = INFRA / ".venv" / "bin" / "python"
GLOBAL, CHINA = "ningxiang-prod", "ningxiang-cn-dev"
WEB_URL = "https://d111111abcdef8.cloudfront.net/"
PREFIX = {GLOBAL: "ningxiang-prod", CHINA: "ningxiang-dev"}
CHINA_IDENTITY = {
    "cn.jwks_url": "https://id.example.cn/.well-known/jwks.json",
    "cn.jwt_issuer": "https://id.example.cn",
    "cn.jwt_audience": "ningxiang-web,ningxiang-agency",
    "cn.web_domain": "zhili.example.cn",
    "cn.web_certificate": "ASCAEXAMPLEIAMCERTIFICATE",
}
# a workflow like the slices' (callback on a row, then writes), plus a Map querying an index: every file in
# chalicelib/workflows/ is synthesised alongside it
SAMPLE_ASL: dict[str, Any] = {
    "Comment": "infra test workflow",
    "StartAt": "Wait",
    "States": {
        "Wait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken",
            "Parameters": {
                "TableName": "${Table_units}",
                "Key": {"code": {"S.$": "$.code"}},
                "UpdateExpression": "SET task_token = :t",
                "ExpressionAttributeValues": {":t": {"S.$": "$$.Task.Token"}},
            },
            "TimeoutSeconds": 3600,
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.codes",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Children",
                "States": {
                    "Children": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::aws-sdk:dynamodb:query",
                        "Parameters": {
                            "TableName": "${Table_units}",
                            "IndexName": "by_parent",
                            "KeyConditionExpression": "parent = :p",
                            "ExpressionAttributeValues": {":p": {"S.$": "$"}},
                        },
                        "End": True,
                    }
                },
            },
            "Next": "Record",
        },
        "Record": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "${Table_audit}", "Item": {"entity": {"S.$": "$.code"}, "seq": {"N": "0"}}},
            "End": True,
        },
    },
}
# actions AWS only grants on "*" (no resource-level permission exists)
STAR_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "cloudfront:GetInvalidation",
    "cloudfront:CreateInvalidation",
}


@dataclass
class Synth:
    out: Path
    workflow_dir: Path
    templates: dict[str, dict[str, Any]]

    def resources(self, stack: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stack]["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    if not INFRA_PY.exists():
        pytest.fail("infra/.venv is missing: `make infra-venv` (make test and make infra-check create it)")
    base = tmp_path_factory.mktemp("infra")
    workflow_dir = base / "workflows"
    workflow_dir.mkdir()
    for path in workflows.WORKFLOW_DIR.glob("*.asl.json"):
        shutil.copy(path, workflow_dir / path.name)
    (workflow_dir / "infra_sample.asl.json").write_text(json.dumps(SAMPLE_ASL))
    out = base / "cdk.out"
    # web/'s npm dependencies are bundled when installed (a deploy requires them; this check does not)
    context = {
        "stacks": f"{GLOBAL},{CHINA}",
        "workflow_dir": str(workflow_dir),
        "web_dependencies": "optional",
        "web_url": WEB_URL,  # the hosted UI's callback (aws); China has no Cognito
        **CHINA_IDENTITY,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKFLOW_SECONDS_", "AWS_ENDPOINT_URL"))}
    env |= {"CDK_CONTEXT_JSON": json.dumps(context), "OUTDIR": str(out)}
    proc = subprocess.run(
        [str(INFRA_PY), str(INFRA / "app.py")], env=env, capture_output=True, text=True, timeout=1200, check=False
    )
    assert proc.returncode == 0, proc.stderr[-6000:]
    templates = {s: json.loads((out / f"{s}.template.json").read_text()) for s in (GLOBAL, CHINA)}
    return Synth(out, workflow_dir, templates)


def _statements(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from policy["PolicyDocument"]["Statement"]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _ref_ids(value: Any) -> set[str]:
    """Logical ids a value refers to (Ref / Fn::GetAtt), anywhere inside it."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value:
            found.add(str(value["Ref"]))
        if "Fn::GetAtt" in value:
            found.add(str(value["Fn::GetAtt"][0]))
        for v in value.values():
            found |= _ref_ids(v)
    elif isinstance(value, list):
        for v in value:
            found |= _ref_ids(v)
    return found


def _text(value: Any) -> str:
    return json.dumps(value)


def _joined(value: Any) -> str:
    """A string property as text: an Fn::Join's parts with pseudo parameters written <AWS::Region>."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    sep, parts = value["Fn::Join"]
    return str(sep).join(_joined(p) for p in parts)


# -- data --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_every_table_the_app_uses_is_on_demand_encrypted_recoverable_and_retained_in_prod(
    synth: Synth, stack: str
) -> None:
    tables = {
        t["Properties"]["TableName"]: (lid, t) for lid, t in synth.resources(stack, "AWS::DynamoDB::Table").items()
    }
    definitions = {f"{PREFIX[stack]}-{d['suffix']}": d for d in table_definitions()}
    assert set(tables) == set(definitions)
    keys = synth.resources(stack, "AWS::KMS::Key")
    assert len(keys) == 1
    (key_id, key), *_ = keys.items()
    assert key["Properties"]["EnableKeyRotation"] is True
    prod = stack == GLOBAL
    for name, (_lid, table) in tables.items():
        props, definition = table["Properties"], definitions[name]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"]["SSEType"] == "KMS"
        assert _ref_ids(props["SSESpecification"]["KMSMasterKeyId"]) == {key_id}
        assert sorted((k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]) == sorted(
            (k["AttributeName"], k["KeyType"]) for k in definition["key_schema"]
        )
        assert props["KeySchema"][0]["KeyType"] == "HASH"
        assert {i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])} == {
            g["index_name"] for g in definition["global_secondary_indexes"]
        }
        if definition["ttl_attribute"]:
            assert props["TimeToLiveSpecification"] == {"AttributeName": definition["ttl_attribute"], "Enabled": True}
        if definition["stream"]:
            assert props["StreamSpecification"] == {"StreamViewType": definition["stream"]}
        assert props.get("DeletionProtectionEnabled", False) is prod
        assert table["DeletionPolicy"] == ("Retain" if prod else "Delete")
        assert table["UpdateReplacePolicy"] == ("Retain" if prod else "Delete")
    assert tables[f"{PREFIX[stack]}-idempotency"][1]["Properties"]["TimeToLiveSpecification"]["Enabled"] is True
    assert "StreamSpecification" in tables[f"{PREFIX[stack]}-audit"][1]["Properties"]


# -- workflows ---------------------------------------------------------------------------------------------
def _expected_definition(synth: Synth, stack: str, name: str) -> dict[str, Any]:
    asl = infra_module("asl")
    prefix = PREFIX[stack]
    subs = {}
    for model in all_models():
        suffix = model.Meta.table_suffix  # type: ignore[attr-defined]
        subs[f"Table_{suffix}"] = subs[f"Table_{suffix.replace('-', '_')}"] = f"{prefix}-{suffix}"
    subs |= {f"Seconds_{n}": str(v) for n, v in workflows.DURATIONS.items()}
    rendered = workflows.render(name, subs, synth.workflow_dir)
    result: dict[str, Any] = asl.for_partition(rendered, "aws-cn" if stack == CHINA else "aws")
    return result


@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_every_asl_file_is_a_logged_standard_state_machine_with_a_role_scoped_to_what_it_uses(
    synth: Synth, stack: str
) -> None:
    asl = infra_module("asl")
    machines = {
        m["Properties"]["StateMachineName"]: m
        for m in synth.resources(stack, "AWS::StepFunctions::StateMachine").values()
    }
    names = workflows.workflow_names(synth.workflow_dir)
    assert "infra_sample" in names
    assert set(machines) == {f"{PREFIX[stack]}-{n}" for n in names}
    policies = synth.resources(stack, "AWS::IAM::Policy")
    log_groups = synth.resources(stack, "AWS::Logs::LogGroup")
    for name in names:
        machine = machines[f"{PREFIX[stack]}-{name}"]["Properties"]
        assert machine["StateMachineType"] == "STANDARD"
        definition = json.loads(machine["DefinitionString"])
        assert definition == _expected_definition(synth, stack, name)
        partition = "aws-cn" if stack == CHINA else "aws"
        assert all(s["Resource"].startswith(f"arn:{partition}:states:::") for _n, s in asl.task_states(definition))
        logging = machine["LoggingConfiguration"]
        assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
        (group,) = _ref_ids(logging["Destinations"])
        assert log_groups[group]["Properties"]["RetentionInDays"] >= 365
        assert machine["TracingConfiguration"] == {"Enabled": True}
        # the role: exactly the table actions the definition's tasks use, on exactly those tables
        (role_id,) = _ref_ids(machine["RoleArn"])
        statements = [
            s
            for p in policies.values()
            if role_id in _ref_ids(p["Properties"]["Roles"])
            for s in _statements(p["Properties"])
        ]
        granted: dict[str, set[str]] = {}
        for statement in statements:
            for action in _listed(statement["Action"]):
                assert action != "*" and not action.endswith(":*")
                if action.startswith("dynamodb:"):
                    for resource in _listed(statement["Resource"]):
                        granted.setdefault(action, set()).add(_text(resource))
                elif action not in STAR_ACTIONS and not action.startswith("kms:"):
                    pytest.fail(f"{name}: unexpected action {action}")
        wanted: dict[str, set[str]] = {}
        for grant in asl.grants(definition):
            for action in grant.actions:
                wanted.setdefault(action, set()).add(grant.target)
        assert set(granted) == set(wanted)
        for action, tables in wanted.items():
            text = " ".join(granted[action])
            assert all(f"table/{t}" in text for t in tables)
            others = {d["suffix"] for d in table_definitions()} - {t.removeprefix(PREFIX[stack] + "-") for t in tables}
            assert not any(f'table/{PREFIX[stack]}-{o}"' in text for o in others), (name, action, text)
    sample = json.loads(machines[f"{PREFIX[stack]}-infra_sample"]["Properties"]["DefinitionString"])
    grants = {(g.target, g.actions, g.index) for g in asl.grants(sample)}
    assert grants == {
        (f"{PREFIX[stack]}-units", ("dynamodb:UpdateItem",), None),
        (f"{PREFIX[stack]}-units", ("dynamodb:Query",), "by_parent"),
        (f"{PREFIX[stack]}-audit", ("dynamodb:PutItem",), None),
    }


def test_definitions_the_roles_cannot_scope_are_refused() -> None:
    asl = infra_module("asl")
    dynamic = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName.$": "$.t"},
                "End": True,
            }
        },
    }
    with pytest.raises(asl.UnsupportedDefinition, match="run time"):
        asl.grants(dynamic)
    unknown = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun", "Parameters": {}, "End": True}
        },
    }
    with pytest.raises(asl.UnsupportedDefinition, match="glue"):
        asl.grants(unknown)


# -- IAM ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_no_policy_allows_every_action_and_star_resources_only_where_aws_requires_them(
    synth: Synth, stack: str
) -> None:
    for lid, policy in synth.resources(stack, "AWS::IAM::Policy").items():
        for statement in _statements(policy["Properties"]):
            actions = _listed(statement["Action"])
            assert "*" not in actions, lid
            assert not any(a.endswith(":*") for a in actions), (lid, actions)
            if "*" in _listed(statement["Resource"]):
                assert set(actions) <= STAR_ACTIONS, (lid, actions)
    # the app's role: the service tables (no Scan), the key, its queue and buckets, its state machines
    functions = synth.resources(stack, "AWS::Serverless::Function")
    roles = {next(iter(_ref_ids(f["Properties"]["Role"]))) for f in functions.values()}
    text = _text(
        [p for p in synth.resources(stack, "AWS::IAM::Policy").values() if _ref_ids(p["Properties"]["Roles"]) & roles]
    )
    assert "dynamodb:Scan" not in text
    assert "states:StartExecution" in text and "states:SendTaskSuccess" in text
    assert "sqs:SendMessage" in text and "s3:PutObject" in text


# -- API ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_the_api_is_throttled_logged_behind_waf_and_answers_json_gateway_errors(synth: Synth, stack: str) -> None:
    (api,) = synth.resources(stack, "AWS::Serverless::Api").values()
    props = api["Properties"]
    stage_settings = props["MethodSettings"][0]
    assert stage_settings["ResourcePath"] == "/*" and stage_settings["ThrottlingRateLimit"] > 0
    assert stage_settings["DataTraceEnabled"] is False
    assert any(s["ResourcePath"] == "/~1v1~1imports" and s["HttpMethod"] == "POST" for s in props["MethodSettings"])
    groups = synth.resources(stack, "AWS::Logs::LogGroup")
    (access,) = _ref_ids(props["AccessLogSetting"]["DestinationArn"])
    assert groups[access]["Properties"]["RetentionInDays"] >= 365
    for kind, (status, code, zh, _en) in GATEWAY_RESPONSES.items():
        response = props["GatewayResponses"][kind]
        assert response["StatusCode"] == str(status)
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body["error"]["code"] == code and body["error"]["message"] == zh
    (acl,) = synth.resources(stack, "AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "REGIONAL"
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in acl["Properties"]["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
    assert any("RateBasedStatement" in r["Statement"] for r in acl["Properties"]["Rules"])
    (association,) = synth.resources(stack, "AWS::WAFv2::WebACLAssociation").values()
    assert "RestAPI.Stage" in _text(association["Properties"]["ResourceArn"])
    (plan,) = synth.resources(stack, "AWS::ApiGateway::UsagePlan").values()
    assert plan["Properties"]["Throttle"]["RateLimit"] > 0 and plan["Properties"]["Quota"]["Period"] == "DAY"
    assert len(synth.resources(stack, "AWS::ApiGateway::ApiKey")) >= 1
    assert len(synth.resources(stack, "AWS::ApiGateway::UsagePlanKey")) >= 1


@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_every_function_has_its_settings_a_role_of_the_stack_and_a_log_group_kept_a_year(
    synth: Synth, stack: str
) -> None:
    functions = synth.resources(stack, "AWS::Serverless::Function")
    assert {"APIHandler", "JwtAuthorizer", "RunJobs", "ArchiveAudit"} <= set(functions)
    groups = synth.resources(stack, "AWS::Logs::LogGroup")
    roles = synth.resources(stack, "AWS::IAM::Role")
    for fid, function in functions.items():
        props = function["Properties"]
        variables = props["Environment"]["Variables"]
        for name in (
            "STAGE",
            "TABLE_PREFIX",
            "JWKS_URL",
            "JWT_ISSUER",
            "JWT_AUDIENCE",
            "STATE_MACHINE_ARN_PREFIX",
            "DATA_KEY",
        ):
            assert name in variables, (fid, name)
        assert variables["TABLE_PREFIX"] == PREFIX[stack]
        assert "stateMachine:" in _text(variables["STATE_MACHINE_ARN_PREFIX"])
        assert re.fullmatch(r"\{\{resolve:secretsmanager:[\w/-]+/data-key:SecretString\}\}", variables["DATA_KEY"])
        assert _ref_ids(props["Role"]) <= set(roles), fid
        (group,) = _ref_ids(props["LoggingConfig"]["LogGroup"])
        assert groups[group]["Properties"]["RetentionInDays"] >= 365
    events = functions["RunJobs"]["Properties"]["Events"]
    (queue_event,) = events.values()
    (queue_id,) = _ref_ids(queue_event["Properties"]["Queue"])
    queue = synth.resources(stack, "AWS::SQS::Queue")[queue_id]["Properties"]
    assert queue["QueueName"] == f"{PREFIX[stack]}-jobs"
    assert "deadLetterTargetArn" in queue["RedrivePolicy"]
    # the audit archive handler reads the audit table's stream (its ARN exists only once the table does)
    (stream_event,) = functions["ArchiveAudit"]["Properties"]["Events"].values()
    (audit_id,) = _ref_ids(stream_event["Properties"]["Stream"])
    audit = synth.resources(stack, "AWS::DynamoDB::Table")[audit_id]["Properties"]
    assert audit["TableName"] == f"{PREFIX[stack]}-audit"
    assert stream_event["Properties"]["Stream"] == {"Fn::GetAtt": [audit_id, "StreamArn"]}
    uploads = [
        b
        for b in synth.resources(stack, "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == f"{PREFIX[stack]}-uploads"
    ]
    assert len(uploads) == 1


@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_every_log_group_keeps_at_least_a_year_and_every_lambda_logs_into_one(synth: Synth, stack: str) -> None:
    groups = synth.resources(stack, "AWS::Logs::LogGroup")
    assert groups
    assert all(g["Properties"]["RetentionInDays"] >= 365 for g in groups.values())
    for lid, function in synth.resources(stack, "AWS::Lambda::Function").items():
        assert _ref_ids(function["Properties"]["LoggingConfig"]["LogGroup"]) <= set(groups), lid


# -- identity ----------------------------------------------------------------------------------------------
def test_cognito_has_a_group_per_role_mfa_for_the_senior_roles_and_clients_for_web_and_agencies(synth: Synth) -> None:
    (pool,) = synth.resources(GLOBAL, "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["MfaConfiguration"] == "OPTIONAL" and props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["DeletionProtection"] == "ACTIVE"
    groups = {g["Properties"]["GroupName"] for g in synth.resources(GLOBAL, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(ROLES)
    (gate_id,) = _ref_ids(props["LambdaConfig"]["PreTokenGeneration"])
    gate = synth.resources(GLOBAL, "AWS::Lambda::Function")[gate_id]["Properties"]
    assert set(gate["Environment"]["Variables"]["MFA_ROLES"].split(",")) == {"town_cadre", "city_admin", "auditor"}
    clients = list(synth.resources(GLOBAL, "AWS::Cognito::UserPoolClient").values())
    web = [c for c in clients if c["Properties"]["ClientName"] == "web"]
    assert len(web) == 1 and not web[0]["Properties"].get("GenerateSecret")
    agencies = [c for c in clients if c["Properties"]["ClientName"].startswith("agency-")]
    assert agencies and all(c["Properties"]["AllowedOAuthFlows"] == ["client_credentials"] for c in agencies)
    assert all(c["Properties"]["GenerateSecret"] is True for c in agencies)
    (api_handler,) = [f for k, f in synth.resources(GLOBAL, "AWS::Serverless::Function").items() if k == "APIHandler"]
    variables = api_handler["Properties"]["Environment"]["Variables"]
    (pool_id,) = synth.resources(GLOBAL, "AWS::Cognito::UserPool")
    for name in ("JWKS_URL", "JWT_ISSUER"):
        assert _text(variables[name]).startswith('{"Fn::Join": ["", ["https://cognito-idp.", {"Ref": "AWS::Region"}')
        assert pool_id in _ref_ids(variables[name])
    assert _text(variables["JWKS_URL"]).endswith('"/.well-known/jwks.json"]]}')
    clients_ids = _ref_ids(variables["JWT_AUDIENCE"])
    assert len(clients_ids) == 1 + len(agencies)


def test_china_has_no_cognito_and_takes_the_identity_provider_from_settings(synth: Synth) -> None:
    assert not synth.resources(CHINA, "AWS::Cognito::UserPool")
    variables = synth.resources(CHINA, "AWS::Serverless::Function")["APIHandler"]["Properties"]["Environment"][
        "Variables"
    ]
    assert variables["JWKS_URL"] == CHINA_IDENTITY["cn.jwks_url"]
    assert variables["JWT_ISSUER"] == CHINA_IDENTITY["cn.jwt_issuer"]
    assert variables["JWT_AUDIENCE"] == CHINA_IDENTITY["cn.jwt_audience"]
    (distribution,) = synth.resources(CHINA, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [CHINA_IDENTITY["cn.web_domain"]]
    assert config["ViewerCertificate"]["IamCertificateId"] == CHINA_IDENTITY["cn.web_certificate"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"


# -- web ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_web_files_are_in_a_private_bucket_behind_cloudfront_with_oac_and_security_headers(
    synth: Synth, stack: str
) -> None:
    (distribution,) = synth.resources(stack, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (s3_origin,) = [o for o in config["Origins"] if "S3OriginConfig" in o]
    if stack == CHINA:  # no origin access control in China regions: an origin access identity
        assert "origin-access-identity" in _text(s3_origin["S3OriginConfig"]["OriginAccessIdentity"])
        assert synth.resources(stack, "AWS::CloudFront::CloudFrontOriginAccessIdentity")
    else:
        assert s3_origin["OriginAccessControlId"]
        assert synth.resources(stack, "AWS::CloudFront::OriginAccessControl")
    (bucket_id,) = _ref_ids(s3_origin["DomainName"])
    bucket = synth.resources(stack, "AWS::S3::Bucket")[bucket_id]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    policies = [
        p
        for p in synth.resources(stack, "AWS::S3::BucketPolicy").values()
        if bucket_id in _ref_ids(p["Properties"]["Bucket"])
    ]
    if stack == GLOBAL:
        assert "cloudfront.amazonaws.com" in _text(policies) and "AWS:SourceArn" in _text(policies)
    else:
        assert "CanonicalUser" in _text(policies)
    (headers,) = synth.resources(stack, "AWS::CloudFront::ResponseHeadersPolicy").values()
    security = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    # the local stack's policy (moto as the uploads bucket) and this one differ only in the origins they add
    aws = directives(_joined(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]))
    local = directives(content_security_policy(uploads=["http://127.0.0.1:5000"]))
    for name, sources in local.items():
        assert set(sources) - {"http://127.0.0.1:5000"} <= set(aws[name]), name
    assert aws["frame-ancestors"] == ["'none'"] and aws["default-src"] == ["'self'"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    # every API path goes to API Gateway on the same origin (the pages call it there, as under `make run`)
    (api,) = synth.resources(stack, "AWS::Serverless::Api").values()
    patterns = {b["PathPattern"] for b in config["CacheBehaviors"]}
    for path in api["Properties"]["DefinitionBody"]["paths"]:
        first, _, rest = path.lstrip("/").partition("/")
        assert (f"/{first}/*" if rest else f"/{first}") in patterns, path
    assert synth.resources(stack, "Custom::CDKBucketDeployment")


# the pages' origin (the CORS rule) and the uploads bucket's names in the presigned links (the CSP)
UPLOAD_ORIGINS = {
    GLOBAL: (
        WEB_URL.rstrip("/"),
        [
            f"https://{PREFIX[GLOBAL]}-uploads.s3.amazonaws.com",
            f"https://{PREFIX[GLOBAL]}-uploads.s3.<AWS::Region>.amazonaws.com",
        ],
    ),
    CHINA: (
        f"https://{CHINA_IDENTITY['cn.web_domain']}",  # CloudFront in China serves an ICP-registered domain
        [f"https://{PREFIX[CHINA]}-uploads.s3.cn-northwest-1.amazonaws.com.cn"],
    ),
}


@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_photos_post_to_the_uploads_bucket_from_the_pages_origin_which_the_csp_allows(synth: Synth, stack: str) -> None:
    """A presigned POST (三比 evidence, concern photos) goes from the pages to the bucket, and its presigned GET
    links are shown there: the bucket's CORS names the pages' origin, the pages' CSP names the bucket."""
    site, bucket_origins = UPLOAD_ORIGINS[stack]
    (uploads,) = [
        b["Properties"]
        for b in synth.resources(stack, "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == f"{PREFIX[stack]}-uploads"
    ]
    (rule,) = uploads["CorsConfiguration"]["CorsRules"]
    assert site in rule["AllowedOrigins"] and all(
        o.startswith("https://") and "*" not in o for o in rule["AllowedOrigins"]
    )
    assert {"POST", "GET"} <= set(rule["AllowedMethods"]) <= {"POST", "GET", "HEAD"}
    assert uploads["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True  # CORS grants no access
    (headers,) = synth.resources(stack, "AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    policy = directives(_joined(csp["ContentSecurityPolicy"]))  # each directive once: a browser keeps the first
    for origin in bucket_origins:
        assert origin in policy["connect-src"] and origin in policy["img-src"], origin
    assert policy["connect-src"][0] == "'self'" and "*" not in policy["connect-src"]
    # no other bucket's or any S3 wildcard
    assert all(
        o.startswith(("'", "data:", "blob:", "https://*.amazoncognito.com")) or o in bucket_origins
        for o in policy["connect-src"] + policy["img-src"]
    )


@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_audit_events_have_an_object_locked_archive(synth: Synth, stack: str) -> None:
    (archive,) = [
        b
        for b in synth.resources(stack, "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == f"{PREFIX[stack]}-audit-archive"
    ]
    lock = archive["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert archive["Properties"]["ObjectLockEnabled"] is True
    assert lock["Mode"] == ("COMPLIANCE" if stack == GLOBAL else "GOVERNANCE")
    assert archive["DeletionPolicy"] == "Retain"


# -- operations --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", [GLOBAL, CHINA])
def test_alarms_cover_5xx_lambda_workflows_dead_letters_and_throttling_and_there_is_a_dashboard(
    synth: Synth, stack: str
) -> None:
    alarms = list(synth.resources(stack, "AWS::CloudWatch::Alarm").values())
    metric_names = {a["Properties"].get("MetricName") for a in alarms}
    assert {
        "5XXError",
        "Errors",
        "Throttles",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ApproximateNumberOfMessagesVisible",
    } <= metric_names
    functions = synth.resources(stack, "AWS::Serverless::Function")
    for fid in functions:
        assert sum(1 for a in alarms if fid in _ref_ids(a["Properties"].get("Dimensions", []))) == 2, fid
    throttles = _text([a for a in alarms if "Metrics" in a["Properties"]])
    for table in synth.resources(stack, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["TableName"] in throttles
    assert "WriteThrottleEvents" in throttles
    assert all(a["Properties"]["AlarmActions"] for a in alarms)
    assert len(synth.resources(stack, "AWS::CloudWatch::Dashboard")) == 1


# -- linters -----------------------------------------------------------------------------------------------
def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    templates = [str(synth.out / f"{s}.template.json") for s in (GLOBAL, CHINA)]
    proc = subprocess.run(
        [str(INFRA / ".venv" / "bin" / "cfn-lint"), "--format", "parseable", "--", *templates],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    errors = [line for line in proc.stdout.splitlines() if re.search(r":E\d{4}:", line)]
    assert not errors, "\n".join(errors)
    assert proc.returncode & 2 == 0 and proc.returncode & 1 == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_cdk_nag_aws_solutions_has_no_unacknowledged_findings(synth: Synth) -> None:
    """The app adds cdk-nag's AwsSolutions pack as a validation plugin: an unacknowledged error fails the synth
    (the fixture would have failed); `ServiceStack.acknowledge` refuses an acknowledgment without a reason."""
    report = json.loads((synth.out / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["pluginName"]
        errors = [v for v in plugin["violations"] if v.get("severity") == "error"]
        assert not errors, [v["ruleName"] for v in errors]
    assert "AwsSolutionsChecks(app)" in (INFRA / "app.py").read_text()


def test_asl_validator_accepts_every_rendered_definition(synth: Synth, tmp_path: Path) -> None:
    paths = []
    for stack in (GLOBAL, CHINA):
        for lid, machine in synth.resources(stack, "AWS::StepFunctions::StateMachine").items():
            path = tmp_path / f"{stack}-{lid}.json"
            path.write_text(machine["Properties"]["DefinitionString"])
            paths += ["--json-path", str(path)]
    validator = INFRA / "node_modules" / ".bin" / "asl-validator"
    proc = subprocess.run([str(validator), *paths], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_the_mfa_gate_refuses_tokens_only_to_the_senior_roles_without_mfa() -> None:
    gate = infra_module("mfa_gate", "functions")
    roles = "town_cadre,city_admin,auditor"
    assert gate.needs_mfa(["city_admin"], roles) and gate.needs_mfa(["group_head", "auditor"], roles)
    assert not gate.needs_mfa(["neighbour_head"], roles) and not gate.needs_mfa([], roles)


def test_the_web_client_signs_in_through_the_hosted_ui_and_the_pages_learn_it_from_config_json(synth: Synth) -> None:
    """aws: authorization code (+ PKCE in the pages) called back at the site's address; Cognito's token
    endpoint allowed by the CSP; /config.json deployed next to the pages. China: none of it."""
    (web,) = [
        c["Properties"]
        for c in synth.resources(GLOBAL, "AWS::Cognito::UserPoolClient").values()
        if c["Properties"]["ClientName"] == "web"
    ]
    assert web["AllowedOAuthFlows"] == ["code"] and web["AllowedOAuthFlowsUserPoolClient"] is True
    assert web["AllowedOAuthScopes"] == ["openid", "profile"] and not web.get("GenerateSecret")
    assert web["CallbackURLs"] == web["LogoutURLs"] == [WEB_URL]
    for stack, sources in ((GLOBAL, 2), (CHINA, 1)):
        (headers,) = synth.resources(stack, "AWS::CloudFront::ResponseHeadersPolicy").values()
        csp = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
        assert ("https://*.amazoncognito.com" in _joined(csp["ContentSecurityPolicy"])) is (stack == GLOBAL)
        (deployment,) = synth.resources(stack, "Custom::CDKBucketDeployment").values()
        assert len(deployment["Properties"]["SourceObjectKeys"]) == sources
    # config.json carries the web client's id and the Cognito domain (resolved at deploy time)
    (deployment,) = synth.resources(GLOBAL, "Custom::CDKBucketDeployment").values()
    clients = synth.resources(GLOBAL, "AWS::Cognito::UserPoolClient").items()
    (client_id,) = [k for k, c in clients if c["Properties"]["ClientName"] == "web"]
    assert client_id in _ref_ids(deployment["Properties"]["SourceMarkers"])
