"""Whistle routes (吹哨报到): parse, call the service, shape the answer."""

from __future__ import annotations

from chalicelib.core.api import ApiBlueprint, RequestContext
from chalicelib.whistle import from_deliberation  # noqa: F401 - registers the town review's whistle hook
from chalicelib.whistle.hotline import HotlineService
from chalicelib.whistle.hotline import default_service as hotline_service
from chalicelib.whistle.hotline import trends as hotline_trend
from chalicelib.whistle.schemas import (
    CallbackIn,
    CategoryIn,
    CategoryList,
    CategoryOut,
    DecisionIn,
    DeliveryList,
    DeliveryOut,
    DepartmentList,
    DepartmentScorecardOut,
    DispatchIn,
    EvaluateIn,
    ExtensionIn,
    HotlineDispatchIn,
    HotlineIn,
    HotlineOut,
    HotlineTrendOut,
    HotlineTrendQuery,
    KindRuleIn,
    KindRuleList,
    KindRuleOut,
    NoteIn,
    OutcomeIn,
    ProgressIn,
    ResolveIn,
    ReturnIn,
    ScorecardPeriodQuery,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketQuery,
    TownRateOut,
    VerifyIn,
)
from chalicelib.whistle.service import WhistleService, default_service
from chalicelib.whistle.webhooks import WebhookService, shown_secret

api = ApiBlueprint(__name__, tag="whistle")
BASE = "/v1/whistle"


def _svc() -> WhistleService:
    return default_service()


# -- catalogue -----------------------------------------------------------------------------------------------
@api.route(
    f"{BASE}/departments",
    "GET",
    permission="whistle:read",
    response=DepartmentList,
    summary="报到部门 / Departments that answer whistles",
)
def list_departments(ctx: RequestContext) -> DepartmentList:
    return _svc().departments()


@api.route(
    f"{BASE}/categories",
    "GET",
    permission="whistle:read",
    response=CategoryList,
    summary="问题类别：默认部门与各哨种时限 / Categories: default departments and limits per kind",
)
def list_categories(ctx: RequestContext) -> CategoryList:
    return _svc().categories()


@api.route(
    f"{BASE}/categories/{{code}}",
    "PUT",
    permission="catalogue:write",
    body=CategoryIn,
    response=CategoryOut,
    summary="新增或修改问题类别（审计）/ Add or change a category (audited)",
)
def put_category(ctx: RequestContext) -> CategoryOut:
    return _svc().put_category(ctx.actor, ctx.path["code"], ctx.body)


@api.route(
    f"{BASE}/kinds",
    "GET",
    permission="whistle:read",
    response=KindRuleList,
    summary="哨种规则：谁可吹哨、是否即派、核验时限 / Kind rules: who may whistle, auto dispatch",
)
def list_kinds(ctx: RequestContext) -> KindRuleList:
    return _svc().kinds()


@api.route(
    f"{BASE}/kinds/{{kind}}",
    "PUT",
    permission="catalogue:write",
    body=KindRuleIn,
    response=KindRuleOut,
    summary="修改哨种规则（审计）/ Change a kind's rules (audited)",
)
def put_kind(ctx: RequestContext) -> KindRuleOut:
    return _svc().put_kind(ctx.actor, ctx.path["kind"], ctx.body)


# -- tickets -------------------------------------------------------------------------------------------------
@api.route(
    f"{BASE}/tickets",
    "POST",
    permission="whistle:blow",
    body=TicketIn,
    response=TicketOut,
    status=201,
    idempotent=True,
    summary="吹哨（日常哨/攻坚哨/应急哨）/ Blow a whistle",
)
def create_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().create(ctx.user, ctx.actor, ctx.body)


@api.route(
    f"{BASE}/tickets",
    "GET",
    permission="whistle:read",
    query=TicketQuery,
    response=TicketPage,
    summary="吹哨工单：辖区内或派给本部门的 / Tickets in your area or dispatched to your department",
)
def list_tickets(ctx: RequestContext) -> TicketPage:
    q: TicketQuery = ctx.query
    return _svc().tickets(ctx.user, status=q.status, limit=q.limit, cursor=q.cursor)


@api.route(
    f"{BASE}/tickets/{{id}}",
    "GET",
    permission="whistle:read",
    response=TicketOut,
    summary="吹哨工单（含催办、督办记录）/ A ticket, with its lapses and escalation",
)
def get_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().get(ctx.user, ctx.path["id"])


@api.route(
    f"{BASE}/tickets/{{id}}/dispatch",
    "POST",
    permission="whistle:dispatch",
    body=DispatchIn,
    response=TicketOut,
    summary="派单或改派（镇街）/ Dispatch or re-dispatch (town)",
)
def dispatch_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().dispatch(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/report-in",
    "POST",
    permission="whistle:respond",
    body=NoteIn,
    response=TicketOut,
    summary="部门报到 / A department reports in",
)
def report_in_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().report_in(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/progress",
    "POST",
    permission="whistle:respond",
    body=ProgressIn,
    response=TicketOut,
    summary="办理进展（可附照片）/ Progress note, with photos",
)
def post_progress(ctx: RequestContext) -> TicketOut:
    return _svc().progress(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/resolve",
    "POST",
    permission="whistle:respond",
    body=ResolveIn,
    response=TicketOut,
    summary="办结报告（牵头部门）/ Resolution report (lead department)",
)
def resolve_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().resolve(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/return",
    "POST",
    permission="whistle:respond",
    body=ReturnIn,
    response=TicketOut,
    summary="退单（须说明理由）/ Return the ticket, with a reason",
)
def return_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().return_(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/extension",
    "POST",
    permission="whistle:respond",
    body=ExtensionIn,
    response=TicketOut,
    summary="申请延期（牵头部门）/ Ask for an extension (lead department)",
)
def request_extension(ctx: RequestContext) -> TicketOut:
    return _svc().request_extension(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/extension/decision",
    "POST",
    permission="whistle:dispatch",
    body=DecisionIn,
    response=TicketOut,
    summary="同意或不同意延期（镇街）/ Grant or refuse an extension (town)",
)
def decide_extension(ctx: RequestContext) -> TicketOut:
    return _svc().decide_extension(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/verify",
    "POST",
    permission="whistle:verify",
    body=VerifyIn,
    response=TicketOut,
    summary="吹哨人现场核验（未解决则重办）/ The whistler verifies (or reopens)",
)
def verify_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().verify(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/evaluate",
    "POST",
    permission="whistle:verify",
    body=EvaluateIn,
    response=TicketOut,
    summary="评价（满意度1–5）/ Evaluate (satisfaction 1-5)",
)
def evaluate_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().evaluate(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    f"{BASE}/tickets/{{id}}/close",
    "POST",
    permission="whistle:verify",
    body=NoteIn,
    response=TicketOut,
    summary="销号 / Close the ticket",
)
def close_ticket(ctx: RequestContext) -> TicketOut:
    return _svc().close(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


# -- scorecards ----------------------------------------------------------------------------------------------
@api.route(
    f"{BASE}/scorecards/departments/{{code}}",
    "GET",
    permission="whistle:read",
    query=ScorecardPeriodQuery,
    response=DepartmentScorecardOut,
    summary="部门月度考评 / A department's monthly scorecard",
)
def department_scorecard(ctx: RequestContext) -> DepartmentScorecardOut:
    q: ScorecardPeriodQuery = ctx.query
    return _svc().scorecard(ctx.user, ctx.path["code"], q.period)


@api.route(
    f"{BASE}/scorecards/towns/{{code}}",
    "GET",
    permission="units:read",
    query=ScorecardPeriodQuery,
    response=TownRateOut,
    summary="镇街月度吹哨率 / A town's whistles by kind",
)
def town_whistle_rate(ctx: RequestContext) -> TownRateOut:
    q: ScorecardPeriodQuery = ctx.query
    return _svc().town_rate(ctx.user, ctx.path["code"], q.period)


# -- 12345 hotline tickets -----------------------------------------------------------------------------------
def _hotline() -> HotlineService:
    return hotline_service()


@api.route(
    "/v1/hotline-tickets",
    "POST",
    permission="hotline:write",
    body=HotlineIn,
    response=HotlineOut,
    status=201,
    idempotent=True,
    summary="12345热线工单转入 / The 12345 hotline posts a ticket",
)
def create_hotline_ticket(ctx: RequestContext) -> HotlineOut:
    return _hotline().create(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/hotline-tickets/{id}",
    "GET",
    permission="hotline:read",
    response=HotlineOut,
    summary="热线工单：办理结果与回访 / A hotline ticket, its outcome and callback",
)
def get_hotline_ticket(ctx: RequestContext) -> HotlineOut:
    return _hotline().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/hotline-tickets/{id}/dispatch",
    "POST",
    permission="whistle:dispatch",
    body=HotlineDispatchIn,
    response=HotlineOut,
    summary="镇街派单：吹哨或转村诉求 / The town whistles or forwards it",
)
def dispatch_hotline_ticket(ctx: RequestContext) -> HotlineOut:
    return _hotline().dispatch(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/hotline-tickets/{id}/outcome",
    "POST",
    permission="whistle:dispatch",
    body=OutcomeIn,
    response=HotlineOut,
    summary="镇街回复办理结果 / The town reports the outcome",
)
def hotline_outcome(ctx: RequestContext) -> HotlineOut:
    return _hotline().outcome(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/hotline-tickets/{id}/callback",
    "POST",
    permission="hotline:write",
    body=CallbackIn,
    response=HotlineOut,
    summary="热线回访结果 / The hotline records its callback",
)
def hotline_callback(ctx: RequestContext) -> HotlineOut:
    return _hotline().callback(ctx.user, ctx.actor, ctx.path["id"], ctx.body, ctx.if_match())


@api.route(
    "/v1/units/{code}/hotline-trends",
    "GET",
    permission="hotline:trends",
    query=HotlineTrendQuery,
    response=HotlineTrendOut,
    summary="12345工单趋势：按日或周、类别、类型、状态（≤366天）/ Hotline tickets per day or week (≤ 366 days)",
)
def hotline_trends(ctx: RequestContext) -> HotlineTrendOut:
    q: HotlineTrendQuery = ctx.query
    return hotline_trend(ctx.user, ctx.path["code"], start=q.start, end=q.end, bucket=q.bucket, grid=_svc().grid)


# -- webhooks (per agency) -----------------------------------------------------------------------------------
@api.route(
    "/v1/webhooks",
    "POST",
    permission="whistle:respond",
    body=SubscriptionIn,
    response=SubscriptionOut,
    status=201,
    idempotent=True,
    reveal=lambda answer: {"secret": shown_secret(answer["id"])},  # never in the idempotency record
    summary="订阅工单事件（返回一次签名密钥）/ Subscribe to ticket events",
)
def subscribe_webhook(ctx: RequestContext) -> SubscriptionOut:
    return WebhookService().subscribe(ctx.user, ctx.body)


@api.route(
    "/v1/webhooks",
    "GET",
    permission="whistle:respond",
    response=SubscriptionList,
    summary="本机构的订阅 / Your subscriptions",
)
def list_webhooks(ctx: RequestContext) -> SubscriptionList:
    return WebhookService().subscriptions(ctx.user)


@api.route(
    "/v1/webhooks/dead-letters",
    "GET",
    permission="whistle:respond",
    response=DeliveryList,
    summary="投递失败的事件 / Dead-lettered deliveries",
)
def webhook_dead_letters(ctx: RequestContext) -> DeliveryList:
    return WebhookService().dead_letters(ctx.user)


@api.route(
    "/v1/webhooks/deliveries/{id}",
    "GET",
    permission="whistle:respond",
    response=DeliveryOut,
    summary="一次投递及其尝试记录 / A delivery and its attempts",
)
def webhook_delivery(ctx: RequestContext) -> DeliveryOut:
    return WebhookService().delivery(ctx.user, ctx.path["id"])


@api.route(
    "/v1/webhooks/deliveries/{id}/replay",
    "POST",
    permission="whistle:respond",
    response=DeliveryOut,
    summary="重发失败的投递 / Replay a dead-lettered delivery",
)
def replay_webhook(ctx: RequestContext) -> DeliveryOut:
    return WebhookService().replay(ctx.user, ctx.path["id"])
