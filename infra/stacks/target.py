"""Where a stack goes: stage (from .chalice/config.json) and partition (aws or aws-cn), plus CDK context."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHINA_REGIONS = ("cn-north-1", "cn-northwest-1")
DEPLOYABLE_STAGES = ("dev", "prod")


def chalice_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config


@dataclass(frozen=True)
class Target:
    """One deployable stack: a Chalice stage in one partition."""

    stage: str
    partition: str  # "aws" or "aws-cn"
    region: str | None  # None: environment-agnostic (the CLI's account and region at deploy time)
    account: str | None = None
    table_prefix: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    # China regions have no Cognito user pools: the identity provider is named by these three settings
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    agencies: tuple[str, ...] = ("hotline-12345",)
    alarm_email: str | None = None
    web_domain: str | None = None  # China: CloudFront needs an ICP-registered custom domain
    web_certificate: str | None = None  # ACM certificate ARN (us-east-1); China: IAM server certificate id
    web_url: str | None = None  # the site's address (https://…/), for the hosted UI's callback when no web_domain
    require_web_dependencies: bool = True  # -c web_dependencies=optional: a check without web/node_modules
    threat_protection: bool = False  # Cognito Plus plan (adaptive authentication)
    log_retention_days: int = 365
    archive_retention_days: int = 3650

    @property
    def china(self) -> bool:
        return self.partition == "aws-cn"

    @property
    def prod(self) -> bool:
        return self.stage == "prod"

    @property
    def stack_id(self) -> str:
        return f"ningxiang-{'cn-' if self.china else ''}{self.stage}"

    def name(self, suffix: str) -> str:
        """A physical name the app also computes (tables, queue, buckets, state machines)."""
        return f"{self.table_prefix}-{suffix}"

    @classmethod
    def build(cls, stage: str, *, china: bool, context: dict[str, Any]) -> Target:
        if stage not in DEPLOYABLE_STAGES:
            raise ValueError(f"stage must be one of {DEPLOYABLE_STAGES}, got {stage!r}")
        config = chalice_config()
        env = {**config.get("environment_variables", {}), **config["stages"][stage]["environment_variables"]}

        def ctx(key: str, default: Any = None) -> Any:
            """`-c cn.<key>=...` / `-c <key>=...`; China settings first under the cn. prefix."""
            if china and f"cn.{key}" in context:
                return context[f"cn.{key}"]
            return context.get(key, default)

        region = ctx("cn_region", "cn-northwest-1") if china else ctx("region")
        if china and region not in CHINA_REGIONS:
            raise ValueError(f"China region must be one of {CHINA_REGIONS}")
        agencies = ctx("agencies", "hotline-12345")
        return cls(
            stage=stage,
            partition="aws-cn" if china else "aws",
            region=region,
            account=ctx("account"),
            table_prefix=str(ctx("table_prefix") or env["TABLE_PREFIX"]),
            environment={k: str(v) for k, v in env.items()},
            jwks_url=ctx("jwks_url"),
            jwt_issuer=ctx("jwt_issuer"),
            jwt_audience=ctx("jwt_audience"),
            agencies=tuple(a for a in str(agencies).split(",") if a),
            alarm_email=ctx("alarm_email"),
            web_domain=ctx("web_domain"),
            web_certificate=ctx("web_certificate"),
            web_url=ctx("web_url"),
            require_web_dependencies=str(ctx("web_dependencies", "required")) != "optional",
            threat_protection=str(ctx("threat_protection", "false")).lower() in ("true", "1", "yes"),
            log_retention_days=int(ctx("log_retention_days", 365)),
            archive_retention_days=int(ctx("archive_retention_days", 3650 if stage == "prod" else 365)),
        )
