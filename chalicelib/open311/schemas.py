"""Open311 GeoReport v2 query parameters. Answers are the spec's own JSON arrays (or XML), shaped in
service.py; unknown parameters are ignored, as GeoReport clients send extras (jurisdiction_id...)."""

from pydantic import BaseModel, ConfigDict, Field


class Open311Query(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    jurisdiction_id: str | None = Field(None, description="镇（街道）编码 / town code")
    service_request_id: str | None = Field(None, description="逗号分隔的工单号 / comma-separated request ids")
    service_code: str | None = Field(None, description="逗号分隔的类别 / comma-separated service codes")
    start_date: str | None = Field(None, description="ISO 8601")
    end_date: str | None = Field(None, description="ISO 8601; at most 90 days after start_date")
    status: str | None = Field(None, description="open, closed, or both comma-separated")
    api_key: str | None = Field(None, description="机构密钥（查询可不填）/ agency key (optional for reads)")
