"""Agency API keys (Open311 `api_key`): only a SHA-256 of each key is stored; keys are 32 random bytes."""

from __future__ import annotations

import hashlib
import secrets

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import BaseMeta, register_model


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return secrets.token_urlsafe(32)


@register_model
class ApiKeyModel(Model):
    class Meta(BaseMeta):
        table_suffix = "api-keys"

    key_hash = UnicodeAttribute(hash_key=True)
    client_sub = UnicodeAttribute()
    label = UnicodeAttribute()


class ApiKeyStore:
    def register(self, api_key: str, *, client_sub: str, label: str) -> None:
        ApiKeyModel(key_hash(api_key), client_sub=client_sub, label=label).save()

    def client_for(self, api_key: str) -> str | None:
        """The client subject owning this key, or None; the key itself is never stored or logged."""
        try:
            return str(ApiKeyModel.get(key_hash(api_key)).client_sub)
        except ApiKeyModel.DoesNotExist:
            return None
