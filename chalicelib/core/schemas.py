"""Request and response models of the core routes."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Out(BaseModel):
    """Base for response models. Schemas are built on first use (defer_build), not at cold start."""

    model_config = ConfigDict(defer_build=True)


class Strict(BaseModel):
    """Base for request models: unknown fields are refused, so no field can be smuggled in."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class ScopeOut(Out):
    kind: str
    path: str


class MeOut(Out):
    sub: str
    username: str
    display_name: str
    role: str
    role_label: str
    scope: ScopeOut
    permissions: list[str]


class HealthOut(Out):
    status: str
    stage: str
    version: str
    versions: dict[str, str]
    backends: dict[str, bool]


class OpenApiOut(Out):
    model_config = ConfigDict(extra="allow", defer_build=True)
    openapi: str


class AuditQuery(Strict):
    entity_type: str | None = Field(None, max_length=40, pattern=r"^[a-z_]+$")
    entity_id: str | None = Field(None, max_length=200)
    start: datetime | None = Field(None, alias="from", description="ISO 8601, inclusive")
    end: datetime | None = Field(None, alias="to", description="ISO 8601, inclusive")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def one_selector(self) -> "AuditQuery":
        by_entity = self.entity_type is not None and self.entity_id is not None
        by_time = self.start is not None and self.end is not None
        if by_entity == by_time:
            raise ValueError("give entity_type+entity_id, or from+to / 须给出实体类型与编号，或起止时间")
        if by_time and self.start and self.end and (self.end - self.start).days > 366:
            raise ValueError("time range at most 366 days / 时间范围不超过366天")
        return self


class AuditActorOut(Out):
    sub: str
    role: str
    scope: str


class AuditEventOut(Out):
    entity_type: str
    entity_id: str
    seq: int
    at: str
    action: str
    actor: AuditActorOut
    unit_path: str
    request_id: str
    before_hash: str
    after_hash: str
    hash: str


class AuditPageOut(Out):
    items: list[AuditEventOut]
    next_cursor: str | None


class AuditVerifyQuery(Strict):
    entity_type: str = Field(max_length=40, pattern=r"^[a-z_]+$")
    entity_id: str = Field(max_length=200)


class AuditVerifyOut(Out):
    ok: bool
    events: int
    broken_at_seq: int | None
