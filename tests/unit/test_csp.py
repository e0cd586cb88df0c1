"""The pages' Content-Security-Policy (chalicelib/core/csp.py): the uploads bucket in connect-src and img-src,
every directive once."""

from __future__ import annotations

import pytest

from chalicelib.core.csp import content_security_policy, directives


def test_the_uploads_bucket_is_named_where_the_pages_post_and_show_photos() -> None:
    bucket = "https://ningxiang-prod-uploads.s3.amazonaws.com"
    policy = directives(
        content_security_policy(
            uploads=[bucket], connect=["https://*.amazoncognito.com"], extra=["frame-ancestors 'none'"]
        )
    )
    assert policy == {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", bucket],
        "connect-src": ["'self'", "https://*.amazoncognito.com", bucket],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }


def test_a_directive_written_twice_is_refused_when_read_back() -> None:
    # what the policy used to risk: a second connect-src appended, which browsers ignore
    with pytest.raises(ValueError, match="connect-src"):
        directives("default-src 'self'; connect-src 'self'; connect-src 'self' https://x.example")
