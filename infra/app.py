"""CDK app: one stack per stage (dev, prod) and partition (aws; aws-cn for cn-north-1 / cn-northwest-1).

    cdk deploy ningxiang-prod                      # aws partition, the CLI's account and region
    cdk deploy ningxiang-cn-prod -c cn.jwks_url=... -c cn.jwt_issuer=... -c cn.jwt_audience=...

`python app.py` synthesises without the CLI (into cdk.out/, or OUTDIR); `-c stacks=ningxiang-prod,...`
 limits which stacks are built. Context `workflow_dir` reads the ASL files from elsewhere
(tests use a sample).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # the repository (app.py, chalicelib/) first, then stacks/

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402
from stacks.service import ServiceStack  # noqa: E402
from stacks.target import DEPLOYABLE_STAGES, Target  # noqa: E402

# The app reads these when the stacks import the slices (no value is used at synth time but the prefix).
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("STAGE", "dev")
os.environ.setdefault("JWT_AUDIENCE", "synth")


CONTEXT_KEYS = (
    "stacks",
    "workflow_dir",
    "web_dir",
    "region",
    "cn_region",
    "account",
    "table_prefix",
    "agencies",
    "alarm_email",
    "web_domain",
    "web_certificate",
    "web_url",
    "jwks_url",
    "jwt_issuer",
    "jwt_audience",
    "threat_protection",
    "web_dependencies",
    "log_retention_days",
    "archive_retention_days",
)


def main() -> None:
    os.chdir(HERE)  # Chalice's construct packages into ./chalice.out (a new directory per synth: start afresh)
    shutil.rmtree(HERE / "chalice.out", ignore_errors=True)
    app = cdk.App(outdir=os.environ.get("OUTDIR") or None)
    context: dict[str, object] = {}
    for key in CONTEXT_KEYS:
        for name in (key, f"cn.{key}"):
            value = app.node.try_get_context(name)
            if value is not None:
                context[name] = value
    wanted = [s for s in str(context.get("stacks", "")).split(",") if s]
    workflow_dir = Path(str(context["workflow_dir"])) if context.get("workflow_dir") else None
    web_dir = Path(str(context["web_dir"])) if context.get("web_dir") else None
    for china in (False, True):
        for stage in DEPLOYABLE_STAGES:
            stack_id = f"ningxiang-{'cn-' if china else ''}{stage}"
            if wanted and stack_id not in wanted:
                continue
            target = Target.build(stage, china=china, context=context)
            os.environ["TABLE_PREFIX"] = target.table_prefix
            ServiceStack(app, target, workflow_dir=workflow_dir, web_dir=web_dir)
    # cdk-nag's AwsSolutions pack: its findings are errors in the cloud assembly unless suppressed with a
    # reason in the stack (`Validations.of(construct).acknowledge`); tests/infra fails on any unsuppressed one
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
