"""The local identity provider: an RSA key kept under .local/, a JWKS document, RS256 tokens.

Only the local stack and the tests use it; the API verifies its tokens with the same code path that
verifies Cognito's (JWKS URL, issuer, audience from settings).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

WEB_AUDIENCE = "ningxiang-web"
AGENCY_AUDIENCE = "ningxiang-agency"


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class LocalIssuer:
    def __init__(self, private_key: rsa.RSAPrivateKey, issuer: str) -> None:
        self._key = private_key
        self.issuer = issuer
        public_der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(public_der).hexdigest()[:16]

    @classmethod
    def load_or_create(cls, key_file: Path, issuer: str) -> LocalIssuer:
        """Load the key generated at first run, or generate and keep it (mode 0600)."""
        if key_file.exists():
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise TypeError(f"{key_file} does not hold an RSA private key")
            return cls(key, issuer)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        key_file.touch(mode=0o600)
        key_file.write_bytes(pem)
        return cls(key, issuer)

    @classmethod
    def ephemeral(cls, issuer: str) -> LocalIssuer:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), issuer)

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            ]
        }

    def jwks_json(self) -> bytes:
        return json.dumps(self.jwks()).encode()

    def mint(
        self,
        sub: str,
        *,
        audience: str = WEB_AUDIENCE,
        ttl_seconds: int = 3600,
        extra: dict[str, Any] | None = None,
        issuer: str | None = None,
        now: float | None = None,
    ) -> str:
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "sub": sub,
            "aud": audience,
            "iat": issued,
            "exp": issued + ttl_seconds,
            "jti": str(uuid.uuid4()),
            "token_use": "access",
        }
        claims.update(extra or {})
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
