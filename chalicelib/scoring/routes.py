"""三比 contribution scoring routes: parse, call the service, shape the answer."""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.core.api import ApiBlueprint, Reply, RequestContext
from chalicelib.grid.import_schemas import XLSX
from chalicelib.scoring.schemas import (
    ClaimIn,
    EntryOut,
    EntryPage,
    EvidenceIn,
    EvidenceOut,
    LeaderboardOut,
    LeaderboardQuery,
    ObjectionIn,
    PeriodQuery,
    PolicyIn,
    PolicyOut,
    ReversalIn,
    ReviewIn,
    RuleDetailOut,
    RuleIn,
    RuleList,
    RuleOut,
    RuleUpdate,
    ScorecardOut,
    ScorecardQuery,
    TiersOut,
    UnitEntriesQuery,
)
from chalicelib.scoring.service import ScoringService, default_service

api = ApiBlueprint(__name__, tag="scoring")


def _svc() -> ScoringService:
    return default_service()


# -- policy and rules ----------------------------------------------------------------------------------
@api.route(
    "/v1/scoring/policy",
    "GET",
    permission="scoring:read",
    response=PolicyOut,
    summary="本县（市）三比计分办法：基础分、档次、公示天数 / The county's scoring policy",
)
def get_policy(ctx: RequestContext) -> PolicyOut:
    return _svc().policy(ctx.user)


@api.route(
    "/v1/scoring/policy",
    "PUT",
    permission="scoring:policy",
    body=PolicyIn,
    response=PolicyOut,
    summary="修改计分办法（If-Match 版本）/ Set the county's scoring policy (If-Match version)",
)
def put_policy(ctx: RequestContext) -> PolicyOut:
    return _svc().put_policy(ctx.user, ctx.actor, ctx.body, ctx.if_match())


@api.route(
    "/v1/units/{code}/scoring/rules",
    "GET",
    permission="scoring:read",
    response=RuleList,
    summary="适用于该单元的积分项目（县级与村级）/ Scoring items that apply to a unit (county and village)",
)
def unit_rules(ctx: RequestContext) -> RuleList:
    return _svc().rules_for_unit(ctx.user, ctx.path["code"])


@api.route(
    "/v1/scoring/rules",
    "POST",
    permission="scoring:rules",
    body=RuleIn,
    response=RuleOut,
    status=201,
    idempotent=True,
    summary="新增积分项目（村级项目受县级上限约束）/ Add a scoring item (village items within county limits)",
)
def create_rule(ctx: RequestContext) -> RuleOut:
    return _svc().create_rule(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/scoring/rules/{owner}/{code}",
    "GET",
    permission="scoring:read",
    response=RuleDetailOut,
    summary="积分项目及其历次版本 / A scoring item and all its versions",
)
def get_rule(ctx: RequestContext) -> RuleDetailOut:
    return _svc().get_rule(ctx.user, ctx.path["owner"], ctx.path["code"])


@api.route(
    "/v1/scoring/rules/{owner}/{code}",
    "PATCH",
    permission="scoring:rules",
    body=RuleUpdate,
    response=RuleOut,
    summary="修改积分项目（生成新版本，已计分记录保留原版本）/ Change an item (a new version; entries keep theirs)",
)
def update_rule(ctx: RequestContext) -> RuleOut:
    return _svc().update_rule(
        ctx.user, ctx.actor, ctx.path["owner"], ctx.path["code"], ctx.body, if_match=ctx.if_match()
    )


# -- the ledger ----------------------------------------------------------------------------------------
@api.route(
    "/v1/scoring/entries",
    "POST",
    permission="scoring:claim",
    body=ClaimIn,
    response=EntryOut,
    status=201,
    idempotent=True,
    summary="申报积分（本人或三长代报）/ Claim points for a member",
)
def claim(ctx: RequestContext) -> EntryOut:
    return _svc().claim(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/scoring/entries/{id}",
    "GET",
    permission="scoring:read",
    response=EntryOut,
    summary="积分记录：项目、版本、数量与审批经过 / A ledger entry, its rule and its approvals",
)
def get_entry(ctx: RequestContext) -> EntryOut:
    return _svc().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/scoring/entries/{id}/group-review",
    "POST",
    permission="scoring:group_review",
    body=ReviewIn,
    response=EntryOut,
    summary="党小组初评：通过或驳回（须说明理由）/ Party group's first review: approve or reject",
)
def group_review(ctx: RequestContext) -> EntryOut:
    return _svc().review(ctx.user, ctx.actor, ctx.path["id"], "group", ctx.body)


@api.route(
    "/v1/scoring/entries/{id}/branch-review",
    "POST",
    permission="scoring:branch_review",
    body=ReviewIn,
    response=EntryOut,
    summary="支部初定：通过即进入公示，或驳回 / Branch decision: approve (public notice starts) or reject",
)
def branch_review(ctx: RequestContext) -> EntryOut:
    return _svc().review(ctx.user, ctx.actor, ctx.path["id"], "branch", ctx.body)


@api.route(
    "/v1/scoring/entries/{id}/objections",
    "POST",
    permission="scoring:object",
    body=ObjectionIn,
    response=EntryOut,
    summary="公示期内提出异议（退回支部）/ Object during the public notice (back to the branch)",
)
def object_entry(ctx: RequestContext) -> EntryOut:
    return _svc().object(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/scoring/entries/{id}/finalise",
    "POST",
    permission="scoring:branch_review",
    response=EntryOut,
    summary="公示期满确认积分 / Make the points final after the public notice",
)
def finalise_entry(ctx: RequestContext) -> EntryOut:
    return _svc().finalise(ctx.user, ctx.actor, ctx.path["id"])


@api.route(
    "/v1/scoring/entries/{id}/reversal",
    "POST",
    permission="scoring:branch_review",
    body=ReversalIn,
    response=EntryOut,
    status=201,
    idempotent=True,
    summary="冲正已确认的积分（新增一条反向记录）/ Reverse a final entry (a new opposite entry)",
)
def reverse_entry(ctx: RequestContext) -> EntryOut:
    return _svc().reverse(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/units/{code}/scoring/entries",
    "GET",
    permission="scoring:read",
    query=UnitEntriesQuery,
    response=EntryPage,
    summary="单元及下级某状态的积分记录（待审队列、公示名单）/ Entries of a subtree in one status (queues, notice)",
)
def unit_entries(ctx: RequestContext) -> EntryPage:
    q: UnitEntriesQuery = ctx.query
    return _svc().unit_entries(ctx.user, ctx.path["code"], q.status, limit=q.limit, cursor=q.cursor)


# -- the read side -------------------------------------------------------------------------------------
@api.route(
    "/v1/members/{id}/scorecard",
    "GET",
    permission="scoring:read",
    query=ScorecardQuery,
    response=ScorecardOut,
    summary="党员积分卡：各季度、全年、档次及每条积分的来历 / A member's scorecard, entry by entry",
)
def scorecard(ctx: RequestContext) -> ScorecardOut:
    q: ScorecardQuery = ctx.query
    return _svc().scorecard(ctx.user, ctx.path["id"], q.year)


@api.route(
    "/v1/units/{code}/scoring/leaderboard",
    "GET",
    permission="scoring:read",
    query=LeaderboardQuery,
    response=LeaderboardOut,
    summary="单元排行榜（某季度，总分或某一维度）/ A unit's leaderboard for a quarter (total or a dimension)",
)
def leaderboard(ctx: RequestContext) -> LeaderboardOut:
    q: LeaderboardQuery = ctx.query
    return _svc().leaderboard(ctx.user, ctx.path["code"], q.period, q.dimension, limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/units/{code}/scoring/tiers",
    "GET",
    permission="scoring:read",
    query=PeriodQuery,
    response=TiersOut,
    summary="单元档次分布（优秀/良好/合格/不合格）/ A unit's tier distribution",
)
def tiers(ctx: RequestContext) -> TiersOut:
    q: PeriodQuery = ctx.query
    return _svc().tiers(ctx.user, ctx.path["code"], q.period)


@api.route(
    "/v1/units/{code}/scoring/export",
    "GET",
    permission="scoring:read",
    query=PeriodQuery,
    content_type=XLSX,
    summary="导出单元季度积分（第二页为积分明细）/ Export a unit's quarter to Excel (entries on sheet two)",
)
def export_scores(ctx: RequestContext) -> Reply:
    from chalicelib.scoring.export import unit_period_workbook  # noqa: PLC0415 - openpyxl only for exports

    code, period = ctx.path["code"], ctx.query.period
    data = unit_period_workbook(_svc(), ctx.user, code, period)
    label = quote(f"三比积分-{code}-{period}.xlsx")
    disposition = f"attachment; filename=\"scores-{code}-{period}.xlsx\"; filename*=UTF-8''{label}"
    return Reply(data, 200, {"Content-Disposition": disposition})


@api.route(
    "/v1/units/{code}/scoring/notice",
    "GET",
    permission="scoring:read",
    content_type="text/html",
    summary="公示名单（可打印的页面）/ The public-notice list as a printable page",
)
def notice_page(ctx: RequestContext) -> Reply:
    from chalicelib.scoring.export import notice_page as page  # noqa: PLC0415

    return Reply(page(_svc(), ctx.user, ctx.path["code"]), 200, {"Content-Type": "text/html; charset=utf-8"})


@api.route(
    "/v1/scoring/evidence",
    "POST",
    permission="scoring:claim",
    body=EvidenceIn,
    response=EvidenceOut,
    status=201,
    summary="佐证照片直传地址（限类型与大小）/ A presigned upload for an evidence photo (type and size bound)",
)
def evidence_upload(ctx: RequestContext) -> EvidenceOut:
    from chalicelib.scoring import evidence  # noqa: PLC0415 - boto3's signer only for this route

    data: EvidenceIn = ctx.body
    return evidence.presigned_upload(ctx.user, data.content_type, data.size)
