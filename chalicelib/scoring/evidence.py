"""Evidence photos go straight to S3 by a presigned POST (core/uploads.py) under evidence/<county>/<month>/."""

from __future__ import annotations

from dataclasses import asdict

from chalicelib.core.auth import Principal
from chalicelib.core.uploads import presigned_image_post
from chalicelib.scoring.schemas import EvidenceOut


def presigned_upload(principal: Principal, content_type: str, size: int) -> EvidenceOut:
    """A one-object upload under evidence/<county>/<month>/: at most `size` bytes of `content_type`."""
    return EvidenceOut(**asdict(presigned_image_post("evidence", principal, content_type, size)))
