"""Open311 tokens: a request's token (GET tokens/{token}.json) written in the ticket's own transaction."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.db import BaseMeta, register_model


@register_model
class TokenModel(Model):
    class Meta(BaseMeta):
        table_suffix = "open311-tokens"

    token = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute()
    client_sub = UnicodeAttribute()


class TokenStore:
    def add(self, tx: TransactWrite, token: str, ticket_id: str, client_sub: str) -> None:
        tx.save(
            TokenModel(token, ticket_id=ticket_id, client_sub=client_sub), condition=TokenModel.token.does_not_exist()
        )

    def ticket_for(self, token: str) -> str | None:
        try:
            return str(TokenModel.get(token).ticket_id)
        except TokenModel.DoesNotExist:
            return None
