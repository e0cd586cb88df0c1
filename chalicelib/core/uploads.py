"""Photos go straight to S3 by a presigned POST whose policy fixes the key, the content type and the largest
size: the API never carries the bytes, and S3 refuses anything else. Used by the slices that take photos
(三比 evidence, concerns); each keeps its own prefix, size limit and answer model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.core import jobs
from chalicelib.core.auth import Principal
from chalicelib.core.ids import new_hex

EXPIRES_SECONDS = 600
IMAGE_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class PresignedPost:
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


def presigned_image_post(prefix: str, principal: Principal, content_type: str, size: int) -> PresignedPost:
    """A one-object upload under <prefix>/<county>/<month>/: at most `size` bytes of `content_type`."""
    county = principal.scope.split("/", 1)[0]
    month = datetime.now(UTC).strftime("%Y%m")
    key = f"{prefix}/{county}/{month}/{new_hex()}.{IMAGE_EXTENSIONS[content_type]}"
    post = jobs.s3().generate_presigned_post(
        Bucket=jobs.bucket_name(),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=EXPIRES_SECONDS,
    )
    fields = {str(k): str(v) for k, v in post["fields"].items()}
    return PresignedPost(key=key, url=str(post["url"]), fields=fields, max_bytes=size, expires_in=EXPIRES_SECONDS)
