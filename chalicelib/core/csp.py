"""The web pages' Content-Security-Policy, one builder for the local stack (chalicelib/localstack/stack.py) and
AWS (infra/stacks/service.py), so the two differ only in the origins they name.

Scripts, styles and fonts come from the pages' own origin only. Photos go from the browser straight to the
uploads bucket by a presigned POST (core/uploads.py) and are shown through presigned GET links, so the bucket's
origins (moto's under `make run`) are in connect-src and img-src. Each directive is written once: a browser
ignores a repeated one."""

from __future__ import annotations

from collections.abc import Sequence


def content_security_policy(*, uploads: Sequence[str], connect: Sequence[str] = (), extra: Sequence[str] = ()) -> str:
    """`uploads`: the origins of the uploads bucket; `connect`: other origins the pages call (Cognito's token
    endpoint); `extra`: more directives (frame-ancestors, which only a header can carry)."""
    return "; ".join(
        (
            "default-src 'self'",
            " ".join(("img-src 'self' data: blob:", *uploads)),
            " ".join(("connect-src 'self'", *connect, *uploads)),
            "object-src 'none'",
            "base-uri 'none'",
            *extra,
        )
    )


def directives(policy: str) -> dict[str, list[str]]:
    """A policy read back: directive name -> its sources, in order (for tests and checks)."""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        if name in out:
            raise ValueError(f"{name} is written twice: a browser keeps only the first")
        out[name] = sources
    return out
