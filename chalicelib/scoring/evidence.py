"""Evidence photos go straight to S3 by a presigned POST whose policy fixes the key, the content type and
the largest size: the API never carries the bytes, and S3 refuses anything else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from chalicelib.core import jobs
from chalicelib.core.auth import Principal
from chalicelib.scoring.schemas import EvidenceOut
from chalicelib.scoring.service import county_of

EXPIRES_SECONDS = 600
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def presigned_upload(principal: Principal, content_type: str, size: int) -> EvidenceOut:
    """A one-object upload under evidence/<county>/<month>/: at most `size` bytes of `content_type`."""
    month = datetime.now(UTC).strftime("%Y%m")
    key = f"evidence/{county_of(principal.scope)}/{month}/{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    post = jobs.s3().generate_presigned_post(
        Bucket=jobs.bucket_name(),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=EXPIRES_SECONDS,
    )
    return EvidenceOut(
        key=key,
        url=str(post["url"]),
        fields={str(k): str(v) for k, v in post["fields"].items()},
        max_bytes=size,
        expires_in=EXPIRES_SECONDS,
    )
