"""The whole service in one stack per stage and partition: data, workflows, API, identity, web, operations.

Everything the app itself names (tables, the jobs queue, the uploads bucket, state machines) gets the
physical name the app computes from TABLE_PREFIX, so the code finds it without extra configuration.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    Aws,
    CfnOutput,
    Duration,
    Environment,
    Fn,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as sns_subs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_wafv2 as wafv2
from chalice import api as chalice_api
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.core.csp import content_security_policy
from stacks import asl
from stacks.target import ROOT, Target

# The roles whose users must use MFA (chalicelib.core.auth.ROLES holds every role).
MFA_ROLES = ("town_cadre", "city_admin", "auditor")
# aws partition: the pages exchange the hosted UI's code at Cognito's token endpoint (web/oidc.js)
COGNITO_ORIGIN = "https://*.amazoncognito.com"
# the uploads bucket's CORS: the presigned POST (photos) and GET (their links) from the pages, cached an hour
UPLOAD_CORS_METHODS = (s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.HEAD)
# API throttling: the stage default, and tighter limits for costly or sensitive methods.
STAGE_THROTTLE = {"rate": 100.0, "burst": 200}
METHOD_THROTTLE: dict[str, dict[str, float]] = {
    "POST /v1/imports": {"rate": 2.0, "burst": 5},
    "POST /v1/households/{id}/unmask": {"rate": 5.0, "burst": 10},
    "POST /v1/members/{id}/unmask": {"rate": 5.0, "burst": 10},
    "GET /v1/units/{code}/export": {"rate": 2.0, "burst": 5},
    "GET /v1/units/{code}/members/export": {"rate": 2.0, "burst": 5},
}
AGENCY_THROTTLE = {"rate": 10.0, "burst": 20, "quota_per_day": 20000}
# what the Lambda roles may do on the service tables (no Scan: a scan in a request path is a bug)
TABLE_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
KEY_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


def _web_source(web_dir: Path, staging: Path, *, require_dependencies: bool = True) -> Path:
    """The files to publish: web/ without tests and package files, plus the production npm dependencies
    (package.json "dependencies", served from node_modules/ as the pages import them)."""
    if staging.exists():
        shutil.rmtree(staging)
    skip = {"node_modules", "tests", "package.json", "package-lock.json", ".gitignore"}
    shutil.copytree(web_dir, staging, ignore=lambda d, names: [n for n in names if Path(d) == web_dir and n in skip])
    package = web_dir / "package.json"
    if package.exists():
        for dep in json.loads(package.read_text()).get("dependencies", {}):
            src = web_dir / "node_modules" / dep
            if not src.is_dir():
                if not require_dependencies:
                    continue  # an offline check on a machine where web/ was not installed
                raise FileNotFoundError(f"web dependency {dep} missing: run `npm ci --omit=dev` in {web_dir}")
            shutil.copytree(src, staging / "node_modules" / dep)
    return staging


class ChaliceApp(Chalice):
    """Chalice's construct, packaging the stage this stack deploys (the stock one takes the stack's path)."""

    def _package_app(self) -> None:
        chalice_api.package_app(
            project_dir=self.source_dir,
            output_dir=self._sam_package_dir,
            stage=self.node.get_context("chalice_stage"),
            chalice_config=self.stage_config,
        )

    @property
    def sam(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads((Path(self._sam_package_dir) / "sam.json").read_text())
        return result


class ServiceStack(Stack):
    def __init__(
        self, scope: Construct, target: Target, *, workflow_dir: Path | None = None, web_dir: Path | None = None
    ) -> None:
        env = Environment(account=target.account, region=target.region) if target.region else None
        super().__init__(
            scope,
            target.stack_id,
            env=env,
            description=f"宁乡 grassroots governance service, stage {target.stage} ({target.partition})",
        )
        self.node.set_context("chalice_stage", target.stage)
        self._nag_region = target.region or "<AWS::Region>"  # how cdk-nag prints ARNs of this stack
        self.target = target
        self.workflow_dir = workflow_dir
        self.web_dir = web_dir or ROOT / "web"
        retain = RemovalPolicy.RETAIN if target.prod else RemovalPolicy.DESTROY
        self.retain = retain
        self.retention = (
            logs.RetentionDays(target.log_retention_days)
            if target.log_retention_days in {r.value for r in logs.RetentionDays}
            else logs.RetentionDays.ONE_YEAR
        )

        self.key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{target.table_prefix}-data",
            description="Customer-managed key: tables, queues, uploads, audit archive, alarms topic",
            enable_key_rotation=True,
            removal_policy=retain,
            pending_window=Duration.days(30),
        )
        # CloudWatch publishes alarms to the topic this key encrypts
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.tables = self._tables()
        self.queue, self.dlq = self._queues()
        self.uploads, self.archive = self._buckets()
        self.machines = self._state_machines()
        self.identity = self._identity()
        self.app = self._api()
        self.distribution = self._web()
        self._operations()

    # -- helpers ---------------------------------------------------------------------------------------
    @staticmethod
    def acknowledge(construct: Construct, rule: str, reason: str) -> None:
        """A cdk-nag (or CloudFormation validation) finding accepted on purpose, with the reason."""
        if len(reason.split()) < 5:
            raise ValueError(f"acknowledging {rule}: say why, in a sentence")
        Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))

    def log_group(self, id_: str, name: str | None = None) -> logs.LogGroup:
        return logs.LogGroup(self, id_, log_group_name=name, retention=self.retention, removal_policy=self.retain)

    def table_arn(self, name: str) -> str:
        return self.format_arn(service="dynamodb", resource="table", resource_name=name)

    # -- data --------------------------------------------------------------------------------------------
    def _tables(self) -> dict[str, dynamodb.CfnTable]:
        from chalicelib.core.db import table_definitions  # noqa: PLC0415 - imports every slice

        tables: dict[str, dynamodb.CfnTable] = {}
        self.table_indexes: dict[str, list[str]] = {}
        for definition in table_definitions():
            suffix = definition["suffix"]
            name = self.target.name(suffix)

            def keys(schema: list[dict[str, str]]) -> list[dynamodb.CfnTable.KeySchemaProperty]:
                ordered = sorted(schema, key=lambda k: k["KeyType"] != "HASH")
                return [
                    dynamodb.CfnTable.KeySchemaProperty(attribute_name=k["AttributeName"], key_type=k["KeyType"])
                    for k in ordered
                ]

            attributes: dict[str, str] = {}
            for attr in definition["attribute_definitions"]:
                attributes[attr["AttributeName"]] = attr["AttributeType"]
            indexes = []
            for gsi in definition["global_secondary_indexes"]:
                for attr in gsi.get("attribute_definitions", []):
                    attributes[attr["AttributeName"]] = attr["AttributeType"]
                projection = gsi.get("projection", {"ProjectionType": "ALL"})
                indexes.append(
                    dynamodb.CfnTable.GlobalSecondaryIndexProperty(
                        index_name=gsi["index_name"],
                        key_schema=keys(gsi["key_schema"]),
                        projection=dynamodb.CfnTable.ProjectionProperty(
                            projection_type=projection["ProjectionType"],
                            non_key_attributes=projection.get("NonKeyAttributes"),
                        ),
                    )
                )
            table = dynamodb.CfnTable(
                self,
                f"Table{''.join(p.title() for p in suffix.replace('_', '-').split('-'))}",
                table_name=name,
                billing_mode="PAY_PER_REQUEST",
                key_schema=keys(definition["key_schema"]),
                attribute_definitions=[
                    dynamodb.CfnTable.AttributeDefinitionProperty(attribute_name=n, attribute_type=t)
                    for n, t in sorted(attributes.items())
                ],
                global_secondary_indexes=indexes or None,
                point_in_time_recovery_specification=dynamodb.CfnTable.PointInTimeRecoverySpecificationProperty(
                    point_in_time_recovery_enabled=True
                ),
                sse_specification=dynamodb.CfnTable.SSESpecificationProperty(
                    sse_enabled=True, sse_type="KMS", kms_master_key_id=self.key.key_arn
                ),
                deletion_protection_enabled=self.target.prod,
                time_to_live_specification=dynamodb.CfnTable.TimeToLiveSpecificationProperty(
                    attribute_name=definition["ttl_attribute"], enabled=True
                )
                if definition["ttl_attribute"]
                else None,
                stream_specification=dynamodb.CfnTable.StreamSpecificationProperty(
                    stream_view_type=definition["stream"]
                )
                if definition["stream"]
                else None,
            )
            table.apply_removal_policy(self.retain)
            self.table_indexes[name] = [g["index_name"] for g in definition["global_secondary_indexes"]]
            tables[name] = table
        return tables

    def _queues(self) -> tuple[sqs.Queue, sqs.Queue]:
        dlq = sqs.Queue(
            self,
            "JobsDeadLetters",
            queue_name=self.target.name("jobs-dlq"),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        queue = sqs.Queue(
            self,
            "Jobs",
            queue_name=self.target.name("jobs"),  # chalicelib.core.jobs.queue_name()
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(5400),  # six times the jobs function's timeout
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=3),
        )
        return queue, dlq

    def _buckets(self) -> tuple[s3.Bucket, s3.Bucket]:
        common: dict[str, Any] = {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "encryption": s3.BucketEncryption.KMS,
            "encryption_key": self.key,
            "bucket_key_enabled": True,
            "enforce_ssl": True,
            "versioned": True,
            "removal_policy": RemovalPolicy.RETAIN,  # S3 refuses to delete a bucket that holds objects
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        }
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 and CloudFront log delivery cannot use a KMS key
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,  # CloudFront standard logs are written with ACLs
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(400))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.acknowledge(self.access_logs, "AwsSolutions-S1", "This is the access-log bucket itself")
        common["server_access_logs_bucket"] = self.access_logs
        uploads = s3.Bucket(
            self,
            "Uploads",
            server_access_logs_prefix="uploads/",
            bucket_name=self.target.name("uploads"),  # chalicelib.core.jobs.bucket_name()
            lifecycle_rules=[
                s3.LifecycleRule(expiration=Duration.days(30), noncurrent_version_expiration=Duration.days(1))
            ],
            # the pages post photos straight here (presigned POST, core/uploads.py) and read them back
            # (presigned GET links): only from the pages' origin; the signatures still decide what is allowed
            cors=[
                s3.CorsRule(
                    allowed_origins=self._web_origins(),
                    allowed_methods=list(UPLOAD_CORS_METHODS),
                    allowed_headers=["Content-Type"],
                    exposed_headers=["ETag"],
                    max_age=3600,
                )
            ],
            **common,
        )
        retention = (
            s3.ObjectLockRetention.compliance(Duration.days(self.target.archive_retention_days))
            if self.target.prod
            else s3.ObjectLockRetention.governance(Duration.days(self.target.archive_retention_days))
        )
        archive = s3.Bucket(
            self,
            "AuditArchive",
            bucket_name=self.target.name("audit-archive"),
            server_access_logs_prefix="audit-archive/",
            object_lock_enabled=True,
            object_lock_default_retention=retention,
            **common,
        )
        return uploads, archive

    # -- workflows ---------------------------------------------------------------------------------------
    def _state_machines(self) -> dict[str, sfn.StateMachine]:
        from chalicelib.core import workflows  # noqa: PLC0415
        from chalicelib.core.db import all_models  # noqa: PLC0415

        directory = self.workflow_dir or workflows.WORKFLOW_DIR
        subs: dict[str, str] = {}
        for model in all_models():
            suffix = model.Meta.table_suffix  # type: ignore[attr-defined]
            subs[f"Table_{suffix}"] = self.target.name(suffix)
            subs[f"Table_{suffix.replace('-', '_')}"] = self.target.name(suffix)
        subs |= workflows.duration_substitutions()
        self.workflow_substitutions = subs
        machines: dict[str, sfn.StateMachine] = {}
        for name in workflows.workflow_names(directory):
            definition = asl.for_partition(workflows.render(name, subs, directory), self.target.partition)
            ident = "".join(p.title() for p in name.replace("-", "_").split("_"))
            role = iam.Role(
                self,
                f"Workflow{ident}Role",
                assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                description=f"Step Functions {name}: only what its definition uses",
            )
            for grant in asl.grants(definition):
                role.add_to_policy(self._workflow_statement(name, grant))
            if any(g.kind == "table" for g in asl.grants(definition)):
                role.add_to_policy(iam.PolicyStatement(actions=list(KEY_USE), resources=[self.key.key_arn]))
            machine = sfn.StateMachine(
                self,
                f"Workflow{ident}",
                state_machine_name=self.target.name(name),  # Settings.state_machine_name
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_string(json.dumps(definition, ensure_ascii=False)),
                role=role,
                logs=sfn.LogOptions(
                    destination=self.log_group(
                        f"Workflow{ident}Logs", f"/aws/vendedlogs/states/{self.target.name(name)}"
                    ),
                    level=sfn.LogLevel.ALL,
                    include_execution_data=False,  # inputs may carry personal data
                ),
                tracing_enabled=True,
                removal_policy=self.retain,
            )
            self.acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "Step Functions log delivery and X-Ray writes have no resource-level permission (AWS requires *)",
            )
            machines[name] = machine
        return machines

    def _workflow_statement(self, workflow: str, grant: asl.Grant) -> iam.PolicyStatement:
        if grant.kind == "table":
            if grant.target not in self.tables:
                raise asl.UnsupportedDefinition(f"workflow {workflow}: table {grant.target} is not a service table")
            resource = self.table_arn(grant.target)
            resources = [resource + (f"/index/{grant.index}" if grant.index else "")]
            if grant.index:
                resources.append(resource)
            return iam.PolicyStatement(actions=list(grant.actions), resources=resources)
        if grant.kind == "queue":
            queue_name = grant.target.rstrip("/").rsplit("/", 1)[-1]
            return iam.PolicyStatement(
                actions=list(grant.actions), resources=[self.format_arn(service="sqs", resource=queue_name)]
            )
        if grant.kind == "function":
            arn = (
                grant.target
                if grant.target.startswith("arn:")
                else self.format_arn(
                    service="lambda",
                    resource="function",
                    resource_name=grant.target,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            )
            return iam.PolicyStatement(actions=list(grant.actions), resources=[arn])
        if grant.kind == "topic":
            return iam.PolicyStatement(actions=list(grant.actions), resources=[grant.target])
        if grant.kind == "bus":
            arn = (
                grant.target
                if grant.target.startswith("arn:")
                else self.format_arn(service="events", resource="event-bus", resource_name=grant.target)
            )
            return iam.PolicyStatement(actions=list(grant.actions), resources=[arn])
        raise asl.UnsupportedDefinition(f"workflow {workflow}: no grant for {grant.kind}")

    # -- identity ----------------------------------------------------------------------------------------
    def _identity(self) -> dict[str, str]:
        """JWKS URL, issuer and audiences for the app. Cognito in the aws partition; in China regions (no
        Cognito user pools) the identity provider is given by context: jwks_url, jwt_issuer, jwt_audience."""
        t = self.target
        if t.china:
            missing = [k for k in ("jwks_url", "jwt_issuer", "jwt_audience") if not getattr(t, k)]
            if missing:
                raise ValueError(f"China stack {t.stack_id}: set -c cn.{missing[0]}=... (no Cognito in aws-cn)")
            return {"JWKS_URL": str(t.jwks_url), "JWT_ISSUER": str(t.jwt_issuer), "JWT_AUDIENCE": str(t.jwt_audience)}

        from chalicelib.core.auth import ROLE_LABELS, ROLES  # noqa: PLC0415

        gate_role = iam.Role(self, "MfaGateRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        gate_logs = self.log_group("MfaGateLogs")
        gate_logs.grant_write(gate_role)
        gate = lambda_.Function(
            self,
            "MfaGate",
            role=gate_role,
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="mfa_gate.handler",
            code=lambda_.Code.from_asset(str(Path(__file__).resolve().parent.parent / "functions")),
            environment={"MFA_ROLES": ",".join(MFA_ROLES)},
            timeout=Duration.seconds(5),
            log_group=gate_logs,
            description="Refuses tokens to MFA roles without MFA set up",
        )
        self.acknowledge(
            gate_role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cognito-idp:{self._nag_region}:<AWS::AccountId>:userpool/*]",
            "Naming the pool would make a dependency cycle (pool -> trigger -> role policy -> pool); "
            "read-only, one action",
        )
        # the pool's ARN would make a cycle (pool -> trigger -> policy -> pool): this account's pools
        gate.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cognito-idp:AdminGetUser"],
                resources=[self.format_arn(service="cognito-idp", resource="userpool", resource_name="*")],
            )
        )
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=t.name("users"),
            self_sign_up_enabled=False,  # accounts are made by administrators
            sign_in_aliases=cognito.SignInAliases(username=True),
            sign_in_case_sensitive=False,
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.NONE,  # an administrator resets passwords
            # Cognito locks an account out after repeated failed sign-ins on every plan; adaptive threat
            # protection (compromised credentials, risky sign-ins) needs the Plus plan: -c threat_protection=true
            feature_plan=cognito.FeaturePlan.PLUS if t.threat_protection else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION
            if t.threat_protection
            else None,
            deletion_protection=t.prod,
            removal_policy=self.retain,
            lambda_triggers=cognito.UserPoolTriggers(pre_token_generation=gate),
        )
        if not t.threat_protection:
            for rule in ("AwsSolutions-COG3", "AwsSolutions-COG8"):
                self.acknowledge(
                    pool,
                    rule,
                    "Threat protection is the Cognito Plus plan (priced per active user): -c threat_protection=true "
                    "turns it on; the built-in lockout after failed sign-ins applies on every plan",
                )
        self.acknowledge(
            pool,
            "AwsSolutions-COG2",
            "MFA is required per role (town_cadre, city_admin, auditor) by the pre-token-generation gate; "
            "grassroots heads sign in with a password",
        )
        for precedence, role in enumerate(ROLES):
            zh, en = ROLE_LABELS[role]
            cognito.CfnUserPoolGroup(
                self,
                f"Group{''.join(p.title() for p in role.split('_'))}",
                user_pool_id=pool.user_pool_id,
                group_name=role,
                description=f"{zh} / {en}" + (" (MFA required)" if role in MFA_ROLES else ""),
                precedence=precedence,
            )
        scope = cognito.ResourceServerScope(scope_name="agency", scope_description="Agency API access")
        server = pool.add_resource_server(
            "Api", identifier=f"{t.table_prefix}-api", scopes=[scope], user_pool_resource_server_name="API"
        )
        self.cognito_domain = pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=t.table_prefix)
        )
        web = pool.add_client(
            "WebClient",
            user_pool_client_name="web",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(7),
            enable_token_revocation=True,
            # the hosted UI (web/oidc.js): authorization code + PKCE, called back at the site's address
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE],
                callback_urls=[site],
                logout_urls=[site],
            )
            if (site := self._site_url())
            else None,
        )
        self.web_client = web
        clients = [web.user_pool_client_id]
        for agency in t.agencies:
            client = pool.add_client(
                f"Agency{''.join(p.title() for p in agency.replace('_', '-').split('-'))}",
                user_pool_client_name=f"agency-{agency}",
                generate_secret=True,
                o_auth=cognito.OAuthSettings(
                    flows=cognito.OAuthFlows(client_credentials=True),
                    scopes=[cognito.OAuthScope.resource_server(server, scope)],
                ),
                access_token_validity=Duration.hours(1),
                enable_token_revocation=True,
            )
            clients.append(client.user_pool_client_id)
        CfnOutput(self, "UserPoolId", value=pool.user_pool_id)
        CfnOutput(self, "WebClientId", value=web.user_pool_client_id)
        self.user_pool = pool
        # the iss claim of Cognito tokens (the pool's ProviderURL attribute lacks the scheme)
        issuer = f"https://cognito-idp.{Aws.REGION}.{Aws.URL_SUFFIX}/{pool.user_pool_id}"
        return {
            "JWKS_URL": f"{issuer}/.well-known/jwks.json",
            "JWT_ISSUER": issuer,
            "JWT_AUDIENCE": Fn.join(",", clients),
        }

    # -- API ---------------------------------------------------------------------------------------------
    def _api(self) -> ChaliceApp:
        """The Chalice app (API handler, authorizer, background handlers) packaged by Chalice's construct."""
        t = self.target
        os.environ["JOBS_QUEUE"] = t.name("jobs")  # app.py binds the SQS handler at import
        app = ChaliceApp(
            self,
            "Api",
            source_dir=str(ROOT),
            stage_config={
                "autogen_policy": False,
                "manage_iam_role": False,
                # replaced below by the roles this stack defines (the file cannot hold a CDK token)
                "iam_role_arn": "arn:aws:iam::000000000000:role/replaced-by-infra",
            },
        )
        sam = app.sam
        definition = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
        self.function_ids = [k for k, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"]

        app_role = iam.Role(self, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        auth_role = iam.Role(self, "AuthorizerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self._app_policies(app_role, auth_role)
        self._wire_functions(app, sam, app_role, auth_role)
        api = self._api_stage(app, definition)
        self._api_guard(api)
        self.api_resource = api
        self.api_routes = sorted(definition["paths"])
        return app

    def _app_policies(self, app_role: iam.Role, auth_role: iam.Role) -> None:
        """The app's functions: the service tables and their indexes (no Scan), the key, the workflows, the
        jobs queue and the buckets; the authorizer: its logs only."""
        t = self.target
        table_arns = [self.table_arn(n) for n in self.tables]
        index_arns = [f"{self.table_arn(n)}/index/{gsi}" for n in self.tables for gsi in self.table_indexes[n]]
        app_role.add_to_policy(iam.PolicyStatement(actions=list(TABLE_ACTIONS), resources=table_arns + index_arns))
        app_role.add_to_policy(iam.PolicyStatement(actions=list(KEY_USE), resources=[self.key.key_arn]))
        if self.machines:
            arns = [m.state_machine_arn for m in self.machines.values()]
            app_role.add_to_policy(
                iam.PolicyStatement(
                    actions=[
                        "states:StartExecution",
                        "states:SendTaskSuccess",
                        "states:SendTaskFailure",
                        "states:SendTaskHeartbeat",
                    ],
                    resources=arns,
                )
            )
            app_role.add_to_policy(
                iam.PolicyStatement(
                    actions=["states:DescribeExecution", "states:StopExecution"],
                    resources=[
                        self.format_arn(
                            service="states",
                            resource="execution",
                            resource_name=f"{t.name(n)}:*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                        for n in self.machines
                    ],
                )
            )
        app_role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "sqs:SendMessage",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueUrl",
                    "sqs:GetQueueAttributes",
                ],
                resources=[self.queue.queue_arn],
            )
        )
        app_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.uploads.arn_for_objects("*")],
            )
        )
        app_role.add_to_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.archive.arn_for_objects("*")])
        )
        audit = self.tables.get(t.name("audit"))
        if audit is not None and audit.attr_stream_arn:
            app_role.add_to_policy(
                iam.PolicyStatement(
                    actions=[
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    ],
                    resources=[audit.attr_stream_arn],
                )
            )
        for role in (app_role, auth_role):
            # X-Ray takes no resource-level permission: AWS requires "*" here
            role.add_to_policy(
                iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"])
            )
            self.acknowledge(
                role, "AwsSolutions-IAM5[Resource::*]", "X-Ray trace writes have no resource-level permission"
            )
        for machine_name in self.machines:
            self.acknowledge(
                app_role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:{self._nag_region}:<AWS::AccountId>:execution:{t.name(machine_name)}:*]",
                "Execution names are chosen at run time (one per case); the grant is limited to this state machine",
            )
        for bucket in (self.uploads, self.archive):
            self.acknowledge(
                app_role,
                f"AwsSolutions-IAM5[Resource::<{self.get_logical_id(bucket.node.default_child)}.Arn>/*]",  # type: ignore[arg-type]
                "Object keys are chosen at run time (per job, per audit event); the grant is limited to one bucket",
            )

    def _wire_functions(self, app: ChaliceApp, sam: dict[str, Any], app_role: iam.Role, auth_role: iam.Role) -> None:
        """Every function Chalice packaged: a role of this stack, its own log group, settings, event sources."""
        t = self.target
        stage = t.stage
        definition = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
        authorizers = json.dumps(definition.get("securityDefinitions", {}))
        functions = self.function_ids
        environment = {
            **{k: v for k, v in t.environment.items()},
            **self.identity,
            "STAGE": stage,
            "TABLE_PREFIX": t.table_prefix,
            "STATE_MACHINE_ARN_PREFIX": f"arn:{Aws.PARTITION}:states:{Aws.REGION}:{Aws.ACCOUNT_ID}:stateMachine:",
            "JOBS_QUEUE": self.queue.queue_name,
            # the data key lives in Secrets Manager (README: created once per stage), resolved at deploy
            "DATA_KEY": f"{{{{resolve:secretsmanager:{t.table_prefix}/data-key:SecretString}}}}",
        }
        self.function_log_groups: dict[str, logs.LogGroup] = {}
        for fid in functions:
            resource = app.get_resource(fid)
            is_authorizer = f"${{{fid}.Arn}}" in authorizers
            role = auth_role if is_authorizer else app_role
            group = self.log_group(f"{fid}Logs")
            self.function_log_groups[fid] = group
            group.grant_write(role)
            resource.add_override("Properties.Role", role.role_arn)
            resource.add_override("Properties.LoggingConfig", {"LogGroup": group.log_group_name, "LogFormat": "Text"})
            resource.add_override("Properties.Tracing", "Active")
            resource.add_override("Properties.Environment.Variables", environment)
            resource.add_override("Properties.MemorySize", 512 if not is_authorizer else 256)
            resource.add_override("Properties.Timeout", 29 if fid in ("APIHandler",) or is_authorizer else 900)
            if role is app_role:
                resource.add_override("Properties.KmsKeyArn", self.key.key_arn)
            events = sam["Resources"][fid]["Properties"].get("Events", {})
            for event_id, event in events.items():
                if event["Type"] == "SQS":
                    # the name app.py saw at import (the first stack's prefix when several are synthesised)
                    if not json.dumps(event["Properties"]["Queue"]).endswith('-jobs"}'):
                        raise ValueError(f"{fid}: SQS handler on an unknown queue {event['Properties']['Queue']}")
                    resource.add_override(f"Properties.Events.{event_id}.Properties.Queue", self.queue.queue_arn)
                elif event["Type"] == "DynamoDB":
                    stream = json.dumps(event["Properties"]["Stream"])
                    # matched on the table suffix: app.py named the first stack's prefix at import
                    streamed = [n for n, tbl in self.tables.items() if tbl.stream_specification]
                    table = next(
                        (n for n in streamed if f"-{n.removeprefix(t.table_prefix + '-')}/stream" in stream), None
                    )
                    if table is None:
                        raise ValueError(f"{fid}: stream handler on an unknown table stream {stream}")
                    resource.add_override(
                        f"Properties.Events.{event_id}.Properties.Stream", self.tables[table].attr_stream_arn
                    )
                elif event["Type"] not in ("Api", "Schedule"):
                    raise ValueError(f"{fid}: event source {event['Type']} is not wired by infra/ yet")

    def _api_stage(self, app: ChaliceApp, definition: dict[str, Any]) -> Any:
        """The stage: name, tracing, access logs, throttling per stage and method, JSON gateway responses."""
        t = self.target
        # the stage: throttling, access logs, gateway responses, tracing
        from chalicelib.core.gateway import GATEWAY_RESPONSES, body_for  # noqa: PLC0415

        api = app.get_resource("RestAPI")
        access_logs = self.log_group("ApiAccessLogs")
        api.add_override("Properties.Name", t.name("api"))
        api.add_override("Properties.TracingEnabled", True)
        api.add_override(
            "Properties.AccessLogSetting",
            {
                "DestinationArn": access_logs.log_group_arn,
                "Format": json.dumps(
                    {
                        "requestId": "$context.requestId",
                        "ip": "$context.identity.sourceIp",
                        "time": "$context.requestTime",
                        "method": "$context.httpMethod",
                        "resource": "$context.resourcePath",
                        "status": "$context.status",
                        "length": "$context.responseLength",
                        "latency": "$context.responseLatency",
                        "principal": "$context.authorizer.principalId",
                        "waf": "$context.waf.status",
                    }
                ),
            },
        )
        routes = {f"{m.upper()} {p}" for p, ops in definition["paths"].items() for m in ops if m != "options"}
        settings = [
            {
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingRateLimit": STAGE_THROTTLE["rate"],
                "ThrottlingBurstLimit": STAGE_THROTTLE["burst"],
                "MetricsEnabled": True,
                "LoggingLevel": "ERROR",
                "DataTraceEnabled": False,  # request bodies carry personal data
            }
        ]
        for route, limit in METHOD_THROTTLE.items():
            if route not in routes:
                continue  # a slice not merged on this branch
            method, path = route.split(" ", 1)
            settings.append(
                {
                    "ResourcePath": "/" + path.replace("/", "~1"),  # /a/b is written /~1a~1b
                    "HttpMethod": method,
                    "ThrottlingRateLimit": limit["rate"],
                    "ThrottlingBurstLimit": int(limit["burst"]),
                }
            )
        api.add_override("Properties.MethodSettings", settings)
        api.add_override(
            "Properties.GatewayResponses",
            {
                kind: {
                    "StatusCode": str(status),
                    "ResponseParameters": {"Headers": {"Content-Type": "'application/json'"}},
                    "ResponseTemplates": {
                        "application/json": json.dumps(body_for(kind, "$context.requestId"), ensure_ascii=False)
                    },
                }
                for kind, (status, *_rest) in GATEWAY_RESPONSES.items()
            },
        )
        # API Gateway writes access logs through an account-wide role
        gateway_logs_role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        self.acknowledge(
            gateway_logs_role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "AWS's own policy for API Gateway's account-wide logging role (it creates the stages' log streams)",
        )
        account = apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=gateway_logs_role.role_arn)
        api.node.add_dependency(account)
        return api

    def _api_guard(self, api: Any) -> None:
        """AWS WAF on the stage, and a usage plan with one API key per agency."""
        t = self.target
        # SAM generates the stage; `RestAPI.Stage` refers to it (and orders the resources after it)
        stage_ref = Fn.ref("RestAPI.Stage")
        stage_arn = Fn.sub(
            "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/${RestAPI.Stage}"
        )

        # WAF: AWS managed rule groups and a per-address rate limit
        def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
                ),
            )

        acl = wafv2.CfnWebACL(
            self,
            "ApiWebAcl",
            name=t.name("api"),
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=t.name("api-waf"), sampled_requests_enabled=True
            ),
            rules=[
                managed("AWSManagedRulesAmazonIpReputationList", 0),
                managed("AWSManagedRulesCommonRuleSet", 1),
                managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
                managed("AWSManagedRulesSQLiRuleSet", 3),
                wafv2.CfnWebACL.RuleProperty(
                    name="RatePerAddress",
                    priority=10,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=2000,
                            aggregate_key_type="FORWARDED_IP",
                            forwarded_ip_config=wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
                                header_name="X-Forwarded-For", fallback_behavior="MATCH"
                            ),
                        )
                    ),
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True, metric_name="RatePerAddress", sampled_requests_enabled=True
                    ),
                ),
            ],
        )
        association = wafv2.CfnWebACLAssociation(
            self, "ApiWebAclAssociation", resource_arn=stage_arn, web_acl_arn=acl.attr_arn
        )

        # agencies: one API key each, in a usage plan with its own throttle and daily quota
        plan = apigw.CfnUsagePlan(
            self,
            "AgencyPlan",
            usage_plan_name=t.name("agencies"),
            api_stages=[apigw.CfnUsagePlan.ApiStageProperty(api_id=api.ref, stage=stage_ref)],
            throttle=apigw.CfnUsagePlan.ThrottleSettingsProperty(
                rate_limit=AGENCY_THROTTLE["rate"], burst_limit=int(AGENCY_THROTTLE["burst"])
            ),
            quota=apigw.CfnUsagePlan.QuotaSettingsProperty(limit=int(AGENCY_THROTTLE["quota_per_day"]), period="DAY"),
        )
        for agency in t.agencies:
            ident = "".join(p.title() for p in agency.replace("_", "-").split("-"))
            key = apigw.CfnApiKey(self, f"AgencyKey{ident}", name=t.name(f"agency-{agency}"), enabled=True)
            apigw.CfnUsagePlanKey(
                self, f"AgencyPlanKey{ident}", key_id=key.ref, key_type="API_KEY", usage_plan_id=plan.ref
            )
        for construct in (association, plan):
            self.acknowledge(
                construct,
                "CloudFormation-Validate::F1020",
                "RestAPI.Stage is SAM's name for the stage it generates; cfn-lint checks it after the transform",
            )

    # -- web ---------------------------------------------------------------------------------------------
    def _web_origins(self) -> list[str]:
        """The origins the pages are served from: the site's addresses (-c web_url, web_domain); without one,
        CloudFront's default names (the distribution's own name would make the uploads bucket depend on the
        distribution, which depends on the API, whose functions' roles name the bucket: a cycle)."""
        t = self.target
        sites = ["/".join(t.web_url.split("/")[:3])] if t.web_url else []
        sites += [f"https://{t.web_domain}"] if t.web_domain else []
        return list(dict.fromkeys(sites)) or ["https://*.cloudfront.cn" if t.china else "https://*.cloudfront.net"]

    def _uploads_origins(self) -> list[str]:
        """The uploads bucket as the presigned links name it: boto3 signs the global name in the aws partition
        (bucket.s3.amazonaws.com), which S3 may redirect to the regional one (also what a regional client
        signs); China has only the regional name."""
        bucket, suffix = self.target.name("uploads"), "amazonaws.com.cn" if self.target.china else "amazonaws.com"
        regional = f"https://{bucket}.s3.{self.target.region or Aws.REGION}.{suffix}"
        return [regional] if self.target.china else [f"https://{bucket}.s3.{suffix}", regional]

    def _site_url(self) -> str | None:
        """The address users open (the hosted UI's callback and logout URL): -c web_url, else web_domain. The
        CloudFront name cannot be used: the API (audiences) -> web client -> distribution -> API is a cycle."""
        t = self.target
        return t.web_url or (f"https://{t.web_domain}/" if t.web_domain else None)

    def _hosted_sign_in(self) -> list[s3deploy.ISource]:
        """/config.json for the pages (web/oidc.js): Cognito's domain and the web client, when the hosted UI is
        set up (aws partition with a site address). Otherwise none, and the pages show the identity note."""
        site = self._site_url()
        if self.target.china or not site:
            return []
        auth = {
            "kind": "oauth",
            "domain": self.cognito_domain.base_url(),
            "client_id": self.web_client.user_pool_client_id,
            "scopes": ["openid", "profile"],
            "redirect_uri": site,
        }
        return [s3deploy.Source.json_data("config.json", {"auth": auth})]

    def _web(self) -> cloudfront.Distribution:
        t = self.target
        bucket = s3.Bucket(
            self,
            "Web",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,  # S3 refuses to delete a bucket that holds objects
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="web/",
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            response_headers_policy_name=t.name("security-headers"),
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(
                        uploads=self._uploads_origins(),
                        connect=[] if t.china else [COGNITO_ORIGIN],
                        extra=["frame-ancestors 'none'"],
                    ),
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730), include_subdomains=True, preload=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
        )
        # the pages call the API on their own origin (as under `make run`): CloudFront sends the API's paths
        # to API Gateway, so no CORS is granted to any other origin
        api_domain = f"{self.api_resource.ref}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
        api_origin = origins.HttpOrigin(
            api_domain, origin_path=f"/{t.stage}", protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
        )
        api_behavior = cloudfront.BehaviorOptions(
            origin=api_origin,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            response_headers_policy=headers,
        )
        self.api_path_patterns = api_path_patterns(self.api_routes)
        distribution = cloudfront.Distribution(
            self,
            "WebDistribution",
            comment=f"{t.table_prefix} web and API",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                # China regions have no origin access control (AWS::CloudFront::OriginAccessControl): an origin
                # access identity keeps the bucket private there
                origin=origins.S3BucketOrigin.with_origin_access_identity(bucket)
                if t.china
                else origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            additional_behaviors={pattern: api_behavior for pattern in self.api_path_patterns},
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.access_logs,
            log_file_prefix="cloudfront/",
        )
        self.acknowledge(
            distribution, "AwsSolutions-CFR1", "The service is for one county's staff; no country is refused"
        )
        self.acknowledge(
            distribution,
            "AwsSolutions-CFR2",
            "AWS WAF guards the API stage (regional web ACL); a CLOUDFRONT-scope ACL lives only in us-east-1",
        )
        if t.web_domain:
            if not t.web_certificate:
                raise ValueError(
                    f"{t.stack_id}: web_domain needs web_certificate (ACM ARN; IAM certificate id in China)"
                )
            cfn_distribution = distribution.node.default_child
            cfn_distribution.add_property_override("DistributionConfig.Aliases", [t.web_domain])  # type: ignore[union-attr]
            certificate: dict[str, Any] = {"SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
            # China: CloudFront takes an IAM server certificate (ACM is not offered for it there)
            certificate["IamCertificateId" if t.china else "AcmCertificateArn"] = t.web_certificate
            cfn_distribution.add_property_override("DistributionConfig.ViewerCertificate", certificate)  # type: ignore[union-attr]
        self.acknowledge(
            distribution,
            "AwsSolutions-CFR4",
            "With -c web_domain the viewer certificate is set to TLSv1.2_2021 by a property override (not seen by "
            "cdk-nag); without it the default *.cloudfront.net certificate is used, whose minimum CloudFront fixes",
        )
        staging = Path(os.getcwd()) / "chalice.out" / f"web-{t.stack_id}"
        s3deploy.BucketDeployment(
            self,
            "WebFiles",
            sources=[
                s3deploy.Source.asset(
                    str(_web_source(self.web_dir, staging, require_dependencies=t.require_web_dependencies))
                ),
                *self._hosted_sign_in(),
            ],
            destination_bucket=bucket,
            distribution=distribution,
            distribution_paths=["/*"],
            log_group=self.log_group("WebDeploymentLogs"),
            memory_limit=256,
        )
        # the BucketDeployment's Lambda is CDK's own (a singleton named after its memory size)
        deployer = self.node.find_child("Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB")
        web_arn = f"<{self.get_logical_id(bucket.node.default_child)}.Arn>"  # type: ignore[arg-type]
        assets = f"arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{self._nag_region}/*"
        copy = "CDK's BucketDeployment handler copies its asset's objects into the web bucket (CDK writes this policy)"
        for rule, reason in (
            (
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                "CDK's BucketDeployment handler role uses AWSLambdaBasicExecutionRole",
            ),
            *(
                (f"AwsSolutions-IAM5[{finding}]", copy)
                for finding in (
                    "Action::s3:GetObject*",
                    "Action::s3:GetBucket*",
                    "Action::s3:List*",
                    "Action::s3:DeleteObject*",
                    "Action::s3:Abort*",
                    f"Resource::{web_arn}/*",
                    f"Resource::{assets}",
                    "Resource::*",
                )
            ),
            ("AwsSolutions-L1", "CDK's BucketDeployment handler runtime is chosen by CDK"),
        ):
            self.acknowledge(deployer, rule, reason)
        if t.china:
            self.acknowledge(
                distribution,
                "AwsSolutions-CFR7",
                "China regions have no origin access control; an origin access identity keeps the bucket private",
            )
        CfnOutput(self, "WebUrl", value=f"https://{distribution.distribution_domain_name}")
        self.web_bucket = bucket
        return distribution

    # -- operations --------------------------------------------------------------------------------------
    def _operations(self) -> None:
        t = self.target
        topic = sns.Topic(self, "Alarms", topic_name=t.name("alarms"), master_key=self.key, enforce_ssl=True)
        if t.alarm_email:
            topic.add_subscription(sns_subs.EmailSubscription(t.alarm_email))
        action = cw_actions.SnsAction(topic)
        five = Duration.minutes(5)
        alarms: list[cw.Alarm] = []

        def alarm(id_: str, metric: cw.IMetric, threshold: float, description: str) -> cw.Alarm:
            made = cw.Alarm(
                self,
                id_,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            made.add_alarm_action(action)
            alarms.append(made)
            return made

        api_dims = {"ApiName": t.name("api"), "Stage": t.stage}
        fivexx = cw.Metric(
            namespace="AWS/ApiGateway",
            metric_name="5XXError",
            dimensions_map=api_dims,
            statistic="Average",
            period=five,
        )
        alarm("Api5xxRate", fivexx, 0.05, "API: more than 5% of requests answered 5xx / 接口5xx比例超过5%")
        latency = cw.Metric(
            namespace="AWS/ApiGateway", metric_name="Latency", dimensions_map=api_dims, statistic="p95", period=five
        )
        lambda_widgets: list[cw.IMetric] = []
        for fid in self.function_ids:
            name = self.app.get_resource(fid).ref
            dims = {"FunctionName": name}
            errors = cw.Metric(
                namespace="AWS/Lambda", metric_name="Errors", dimensions_map=dims, statistic="Sum", period=five
            )
            throttles = cw.Metric(
                namespace="AWS/Lambda", metric_name="Throttles", dimensions_map=dims, statistic="Sum", period=five
            )
            alarm(f"{fid}Errors", errors, 1, f"Lambda {fid}: errors")
            alarm(f"{fid}Throttles", throttles, 1, f"Lambda {fid}: throttled")
            lambda_widgets += [errors.with_(label=f"{fid} errors"), throttles.with_(label=f"{fid} throttles")]
        sfn_metrics: list[cw.IMetric] = []
        for name, machine in self.machines.items():
            ident = "".join(p.title() for p in name.replace("-", "_").split("_"))
            failed = machine.metric_failed(period=five, statistic="Sum")
            timed_out = machine.metric_timed_out(period=five, statistic="Sum")
            alarm(f"Workflow{ident}Failed", failed, 1, f"Workflow {name}: failed executions")
            alarm(f"Workflow{ident}TimedOut", timed_out, 1, f"Workflow {name}: timed-out executions")
            sfn_metrics += [failed.with_(label=f"{name} failed"), timed_out.with_(label=f"{name} timed out")]
        dlq_depth = self.dlq.metric_approximate_number_of_messages_visible(period=five, statistic="Maximum")
        alarm(
            "JobsDeadLettersAlarm",
            dlq_depth,
            1,
            "Background jobs landed in the dead-letter queue / 后台任务进入死信队列",
        )
        throttle_metrics: list[cw.IMetric] = []
        for i, (name, table) in enumerate(self.tables.items()):
            ident = table.node.id
            expression = cw.MathExpression(
                expression=f"r{i} + w{i}",
                using_metrics={
                    f"r{i}": cw.Metric(
                        namespace="AWS/DynamoDB",
                        metric_name="ReadThrottleEvents",
                        dimensions_map={"TableName": name},
                        statistic="Sum",
                        period=five,
                    ),
                    f"w{i}": cw.Metric(
                        namespace="AWS/DynamoDB",
                        metric_name="WriteThrottleEvents",
                        dimensions_map={"TableName": name},
                        statistic="Sum",
                        period=five,
                    ),
                },
                label=f"{name} throttled",
                period=five,
            )
            alarm(f"{ident}Throttled", expression, 1, f"DynamoDB {name}: throttled requests")
            throttle_metrics.append(expression)

        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=t.name("service"))
        dashboard.add_widgets(
            cw.GraphWidget(title="API 5xx rate / latency p95", left=[fivexx], right=[latency], width=12),
            cw.GraphWidget(title="Lambda errors and throttles", left=lambda_widgets, width=12),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="Workflows failed / timed out", left=sfn_metrics or [dlq_depth], width=8),
            cw.GraphWidget(title="Jobs dead letters", left=[dlq_depth], width=8),
            cw.GraphWidget(title="DynamoDB throttling", left=throttle_metrics[:20], width=8),
        )
        dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24))
        CfnOutput(self, "AlarmTopic", value=topic.topic_arn)


def api_path_patterns(paths: list[str]) -> list[str]:
    """CloudFront path patterns covering every API route: `/health` stays exact, `/v1/...` becomes `/v1/*`."""
    patterns: set[str] = set()
    for path in paths:
        first, _, rest = path.lstrip("/").partition("/")
        patterns.add(f"/{first}/*" if rest else f"/{first}")
    return sorted(patterns)
