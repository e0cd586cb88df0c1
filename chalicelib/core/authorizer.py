"""The Chalice custom authorizer: verifies the bearer JWT; the view then loads the caller's profile.

A denied token never reaches a view. In AWS the API's gateway responses (infra/) and, locally, the same
templates in `core.gateway` turn the denial into a JSON 401 body.
"""

from __future__ import annotations

from chalice.app import AuthRequest, AuthResponse, Blueprint

from chalicelib.core.auth import verify_token
from chalicelib.core.errors import Unauthenticated

auth_blueprint = Blueprint(__name__)


@auth_blueprint.authorizer(ttl_seconds=300, name="jwt_authorizer")
def jwt_authorizer(auth_request: AuthRequest) -> AuthResponse:
    try:
        claims = verify_token(auth_request.token)
    except Unauthenticated:
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=str(claims["sub"]), context={"sub": str(claims["sub"])})
