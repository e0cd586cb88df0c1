"""Identity and access: JWT verification (JWKS), roles, permissions and grid scopes.

The same verification runs for Cognito tokens in AWS and for the local issuer under `make run`: only the
JWKS URL, issuer and audience differ (settings).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core.errors import Forbidden, Unauthenticated
from chalicelib.core.settings import get_settings

ROLES: tuple[str, ...] = (
    "neighbour_head",
    "group_head",
    "area_head",
    "village_cadre",
    "town_cadre",
    "city_admin",
    "department",
    "auditor",
)
GRID_ROLES = frozenset(ROLES) - {"department"}

PUBLIC = "public"
AUTHENTICATED = "authenticated"

# Permission -> roles holding it. Data, not code paths: a route names one permission; a role not listed is
# refused (deny by default), and a route naming an unknown permission cannot be registered.
PERMISSIONS: dict[str, frozenset[str]] = {
    AUTHENTICATED: frozenset(ROLES),
    "units:read": frozenset({"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    "units:write": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    "households:read": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "households:write": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "members:read": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "members:write": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    # 三亮: plaques, stickers, pledges, duty posts and covered households; the branch approves pledges
    "showings:write": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    "pledges:approve": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    # reading a clear phone or ID number: separate, purpose-bound, audited
    "personal:unmask": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    # 在职党员到社区报到: needs, report-ins, claims, service logs; confirming service is the 邻长's or 组长's
    "community:write": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    "service:confirm": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    # 人民调解: the case's unit chain mediates; auditors read (and may reveal details, audited)
    "mediation:read": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin", "auditor"}),
    "mediation:write": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    "appointments:write": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    "imports:write": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    "catalogue:write": frozenset({"city_admin"}),
    # 三比 scoring: claims by the member's 三长 or cadres; reviews by the party group, then the branch
    "scoring:read": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "scoring:claim": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "scoring:object": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "scoring:group_review": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    "scoring:branch_review": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    "scoring:rules": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    "scoring:policy": frozenset({"city_admin"}),
    "audit:read": frozenset({"auditor", "city_admin"}),
    # 民情三会: concerns, the three meetings (each run from its level), the responsibility list, 四议两公开
    "concerns:read": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "concerns:write": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "deliberations:read": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "deliberations:confirm": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "deliberations:convene": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    "deliberations:analyse": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    "deliberations:review": frozenset({"town_cadre", "city_admin"}),
    "responsibility:read": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "responsibility:write": frozenset({"group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}),
    "village_decisions:read": frozenset(
        {"neighbour_head", "group_head", "area_head", "village_cadre", "town_cadre", "city_admin"}
    ),
    "village_decisions:write": frozenset({"village_cadre", "town_cadre", "city_admin"}),
    # 吹哨报到 and the 12345 hotline
    "whistle:read": frozenset(ROLES) - {"auditor"},
    "whistle:blow": frozenset({"area_head", "village_cadre", "town_cadre", "city_admin"}),  # per kind: catalogue
    "whistle:dispatch": frozenset({"town_cadre", "city_admin"}),
    "whistle:respond": frozenset({"department"}),
    "whistle:verify": frozenset({"area_head", "village_cadre", "town_cadre", "city_admin"}),
    "hotline:write": frozenset({"department"}),  # agencies (the 12345 hotline) post tickets and callbacks
    "hotline:read": frozenset({"department", "village_cadre", "town_cadre", "city_admin"}),
    "hotline:trends": frozenset({"village_cadre", "town_cadre", "city_admin"}),  # counts for the unit's own grid
}

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "neighbour_head": ("邻长", "Neighbourhood head"),
    "group_head": ("组长", "Group head"),
    "area_head": ("片长", "Area head"),
    "village_cadre": ("村干部", "Village cadre"),
    "town_cadre": ("镇干部", "Town cadre"),
    "city_admin": ("市级管理员", "City administrator"),
    "department": ("部门", "Department"),
    "auditor": ("审计员", "Auditor"),
}


def permissions_of(role: str) -> list[str]:
    return sorted(p for p, roles in PERMISSIONS.items() if role in roles and p != AUTHENTICATED)


def path_within(path: str, scope: str) -> bool:
    """True when `path` is the unit `scope` or lies in its subtree."""
    return path == scope or path.startswith(scope + "/")


@dataclass(frozen=True)
class Principal:
    """The signed-in caller, built from the verified token's subject and the profile stored for it."""

    sub: str
    username: str
    display_name: str
    role: str
    scope_kind: str  # "unit" or "department"
    scope: str  # a unit path, or a department code

    def has(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())

    def require(self, permission: str) -> None:
        if not self.has(permission):
            raise Forbidden("您的角色无权执行此操作", "Your role may not do this")

    def sees_unit(self, path: str) -> bool:
        return self.scope_kind == "unit" and path_within(path, self.scope)

    @property
    def unit_scope(self) -> str | None:
        return self.scope if self.scope_kind == "unit" else None


if TYPE_CHECKING:
    import jwt


@functools.cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    import jwt  # noqa: PLC0415 - only the authorizer pays for PyJWT and cryptography at cold start

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


def verify_token(authorization: str) -> dict[str, Any]:
    """Verify a bearer token; return its claims or raise Unauthenticated (never says which check failed
    beyond a short reason code, never echoes the token)."""
    import jwt  # noqa: PLC0415 - see _jwks_client

    settings = get_settings()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("缺少Bearer令牌", "Missing bearer token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise Unauthenticated("令牌格式错误", "Malformed token") from e
    if header.get("alg") != "RS256":
        raise Unauthenticated("令牌签名算法不被接受", "Token algorithm not accepted")
    try:
        key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss"], "verify_aud": False},
            leeway=30,
        )
    except jwt.ExpiredSignatureError as e:
        raise Unauthenticated("令牌已过期", "Token expired") from e
    except jwt.InvalidIssuerError as e:
        raise Unauthenticated("令牌签发方不符", "Wrong token issuer") from e
    except jwt.PyJWKClientError as e:
        raise Unauthenticated("无法验证令牌签名", "Token signing key unknown") from e
    except jwt.PyJWTError as e:
        raise Unauthenticated("令牌无效", "Invalid token") from e
    # Cognito access tokens carry `client_id` instead of `aud`; ID tokens and the local issuer carry `aud`.
    aud = claims.get("aud", claims.get("client_id"))
    audiences = aud if isinstance(aud, list) else [aud]
    if not any(a in settings.jwt_audiences for a in audiences):
        raise Unauthenticated("令牌受众不符", "Wrong token audience")
    return claims
