"""Photos of concerns go straight to S3 by a presigned POST whose policy fixes the key, the content type and
the largest size (as the scoring slice's evidence does): the API never carries the bytes. A concern accepts
only keys under concerns/<county>/ that exist in the uploads bucket as an image within the limit, and shows
them through short-lived presigned GET URLs to those who may read the concern."""

from __future__ import annotations

from dataclasses import asdict

from chalicelib.core import jobs
from chalicelib.core.auth import Principal
from chalicelib.core.errors import field_error
from chalicelib.core.uploads import EXPIRES_SECONDS, IMAGE_EXTENSIONS, presigned_image_post
from chalicelib.deliberation.schemas import ConcernPhotoOut, PhotoUploadOut

MAX_BYTES = 5_000_000


def county_of(path: str) -> str:
    return path.split("/", 1)[0]


def presigned_upload(principal: Principal, content_type: str, size: int) -> PhotoUploadOut:
    """A one-object upload under concerns/<county>/<month>/: at most `size` bytes of `content_type`."""
    return PhotoUploadOut(**asdict(presigned_image_post("concerns", principal, content_type, size)))


def check(keys: list[str], root: str, field: str = "body.photos") -> list[str]:
    """The keys, once each is known to be an uploaded image of this county within the size limit."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    for n, key in enumerate(keys):
        if not key.startswith(f"concerns/{root}/"):
            raise field_error(f"{field}.{n}", "照片须为本县（市）上传的文件", "A photo must be uploaded here first")
        try:
            head = jobs.s3().head_object(Bucket=jobs.bucket_name(), Key=key)
        except ClientError as e:
            raise field_error(f"{field}.{n}", "照片尚未上传", "The photo has not been uploaded") from e
        if head.get("ContentType") not in IMAGE_EXTENSIONS or int(head.get("ContentLength", 0)) > MAX_BYTES:
            raise field_error(f"{field}.{n}", "照片类型或大小不符", "The photo's type or size is not allowed")
    return list(dict.fromkeys(keys))


def view(keys: list[str]) -> list[ConcernPhotoOut]:
    """Presigned GET URLs (signed locally: no call to S3)."""
    if not keys:
        return []
    s3 = jobs.s3()
    bucket = jobs.bucket_name()
    return [
        ConcernPhotoOut(
            key=key,
            url=str(
                s3.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=EXPIRES_SECONDS
                )
            ),
            expires_in=EXPIRES_SECONDS,
        )
        for key in keys
    ]
