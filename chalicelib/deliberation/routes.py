"""Deliberation routes (民情三会, 责任清单, 四议两公开): parse, call the service, shape the answer.

Importing this module registers the workflows' default durations and their resumers."""

from __future__ import annotations

from chalicelib.core import workflows
from chalicelib.core.api import ApiBlueprint, RequestContext
from chalicelib.deliberation.corrections import Corrections
from chalicelib.deliberation.decisions import DecisionService, default_decisions
from chalicelib.deliberation.schemas import (
    AnalysisIn,
    AnswersIn,
    AttendanceIn,
    ConcernAnswerIn,
    ConcernIn,
    ConcernOut,
    ConcernPage,
    ConcernQuery,
    ConsultationIn,
    CorrectionIn,
    DecisionObjectionIn,
    DecisionObjectionsOut,
    DeliberationIn,
    DeliberationOut,
    DeliberationPage,
    GradesIn,
    ItemCloseIn,
    ItemOut,
    ItemPage,
    ItemProgressIn,
    ItemQuery,
    MinutesIn,
    MinutesObjectionIn,
    ObjectionReplyIn,
    PhotoUploadIn,
    PhotoUploadOut,
    StepNoteIn,
    SupervisionOut,
    TimelineOut,
    TownDecisionsIn,
    VillageDecisionIn,
    VillageDecisionOut,
    VoteIn,
)
from chalicelib.deliberation.service import DeliberationService, default_service
from chalicelib.grid.schemas import PageQuery

DAY = 86400
# Deadlines of the human steps and the objection window; WORKFLOW_SECONDS_<NAME> overrides (tests: seconds).
workflows.DURATIONS.setdefault("courtyard_meeting", 15 * DAY)
workflows.DURATIONS.setdefault("analysis_meeting", 30 * DAY)
workflows.DURATIONS.setdefault("town_review", 30 * DAY)
workflows.DURATIONS.setdefault("decision_step", 30 * DAY)
workflows.DURATIONS.setdefault("objection_window", 7 * DAY)


def resume_deliberations() -> int:
    return default_service().resume()


def resume_decisions() -> int:
    return default_decisions().resume()


for _resumer in (resume_deliberations, resume_decisions):
    if _resumer not in workflows.RESUMERS:
        workflows.RESUMERS.append(_resumer)

api = ApiBlueprint(__name__, tag="deliberation")


def _svc() -> DeliberationService:
    return default_service()


def _decisions() -> DecisionService:
    return default_decisions()


# -- concerns ------------------------------------------------------------------------------------------
@api.route(
    "/v1/concerns",
    "POST",
    permission="concerns:write",
    body=ConcernIn,
    response=ConcernOut,
    status=201,
    idempotent=True,
    summary="登记群众诉求（反映人脱敏）/ Log a resident's concern (who raised it is masked)",
)
def create_concern(ctx: RequestContext) -> ConcernOut:
    return _svc().create_concern(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/concern-photos",
    "POST",
    permission="concerns:write",
    body=PhotoUploadIn,
    response=PhotoUploadOut,
    status=201,
    summary="诉求照片直传地址（限类型与大小）/ A presigned upload for a concern's photo (type and size bound)",
)
def concern_photo_upload(ctx: RequestContext) -> PhotoUploadOut:
    from chalicelib.deliberation import photos  # noqa: PLC0415 - boto3's signer only for this route

    data: PhotoUploadIn = ctx.body
    return photos.presigned_upload(ctx.user, data.content_type, data.size)


@api.route("/v1/concerns/{id}", "GET", permission="concerns:read", response=ConcernOut, summary="诉求 / A concern")
def get_concern(ctx: RequestContext) -> ConcernOut:
    return _svc().get_concern(ctx.user, ctx.path["id"])


@api.route(
    "/v1/concerns/{id}/answer",
    "POST",
    permission="concerns:write",
    body=ConcernAnswerIn,
    response=ConcernOut,
    summary="当场答复（琐事不出组）/ Answer a concern on the spot",
)
def answer_concern(ctx: RequestContext) -> ConcernOut:
    return _svc().answer_concern(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/units/{code}/concerns",
    "GET",
    permission="concerns:read",
    query=ConcernQuery,
    response=ConcernPage,
    summary="单元及下级的诉求 / Concerns of a unit's subtree",
)
def unit_concerns(ctx: RequestContext) -> ConcernPage:
    q: ConcernQuery = ctx.query
    return _svc().concerns_below(ctx.user, ctx.path["code"], status=q.status, limit=q.limit, cursor=q.cursor)


# -- deliberations -------------------------------------------------------------------------------------
@api.route(
    "/v1/deliberations",
    "POST",
    permission="deliberations:convene",
    body=DeliberationIn,
    response=DeliberationOut,
    status=201,
    idempotent=True,
    summary="召开屋场恳谈会，就一组诉求发起民情三会 / Convene a courtyard meeting on a set of concerns",
)
def start_deliberation(ctx: RequestContext) -> DeliberationOut:
    return _svc().start(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/analysis-meetings",
    "POST",
    permission="deliberations:analyse",
    body=AnalysisIn,
    response=DeliberationOut,
    status=201,
    idempotent=True,
    summary="召开村月度民情分析会，汇入各屋场恳谈会提交的诉求 / Convene a village's monthly analysis meeting",
)
def start_analysis(ctx: RequestContext) -> DeliberationOut:
    return _svc().start_analysis(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/deliberations/{id}",
    "GET",
    permission="deliberations:read",
    response=DeliberationOut,
    summary="议事记录：三会、签到、处理结果、纪要、督办 / A deliberation with its meetings and lapses",
)
def get_deliberation(ctx: RequestContext) -> DeliberationOut:
    return _svc().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/deliberations/{id}/timeline",
    "GET",
    permission="deliberations:read",
    response=TimelineOut,
    summary="议事时间线 / The deliberation's timeline",
)
def deliberation_timeline(ctx: RequestContext) -> TimelineOut:
    return _svc().timeline(ctx.user, ctx.path["id"])


@api.route(
    "/v1/units/{code}/deliberations",
    "GET",
    permission="deliberations:read",
    query=PageQuery,
    response=DeliberationPage,
    summary="单元及下级的议事 / Deliberations of a unit's subtree",
)
def unit_deliberations(ctx: RequestContext) -> DeliberationPage:
    q: PageQuery = ctx.query
    return _svc().below(ctx.user, ctx.path["code"], limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/deliberations/{id}/attendance",
    "POST",
    permission="deliberations:convene",
    body=AttendanceIn,
    response=DeliberationOut,
    summary="当前会议签到（住户、三长、党员、干部）/ Sign attendees in to the current meeting",
)
def sign_in(ctx: RequestContext) -> DeliberationOut:
    return _svc().sign_in(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/deliberations/{id}/answers",
    "POST",
    permission="deliberations:convene",
    body=AnswersIn,
    response=DeliberationOut,
    summary="屋场恳谈会：逐项当场答复或提交民情分析会 / Courtyard meeting: answer or forward each concern",
)
def courtyard_answers(ctx: RequestContext) -> DeliberationOut:
    return _svc().answers(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/deliberations/{id}/grades",
    "POST",
    permission="deliberations:analyse",
    body=GradesIn,
    response=DeliberationOut,
    summary="民情分析会：分级并列入责任清单或报镇 / Analysis meeting: grade, assign or send to the town",
)
def analysis_grades(ctx: RequestContext) -> DeliberationOut:
    return _svc().grades(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/deliberations/{id}/decisions",
    "POST",
    permission="deliberations:review",
    body=TownDecisionsIn,
    response=DeliberationOut,
    summary="镇民情研判会：一事一策，可吹哨 / Town review: one decision per matter, may blow a whistle",
)
def town_decisions(ctx: RequestContext) -> DeliberationOut:
    return _svc().decisions(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/deliberations/{id}/minutes",
    "POST",
    permission="deliberations:convene",
    body=MinutesIn,
    response=DeliberationOut,
    summary="起草或修改当前会议纪要 / Draft or amend the current meeting's minutes",
)
def draft_minutes(ctx: RequestContext) -> DeliberationOut:
    return _svc().draft_minutes(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/deliberations/{id}/minutes/confirm",
    "POST",
    permission="deliberations:confirm",
    response=DeliberationOut,
    summary="参会人确认会议纪要 / An attendee confirms the minutes",
)
def confirm_minutes(ctx: RequestContext) -> DeliberationOut:
    return _svc().confirm_minutes(ctx.user, ctx.actor, ctx.path["id"])


def _corrections() -> Corrections:
    return Corrections(_svc())


@api.route(
    "/v1/deliberations/{id}/corrections",
    "POST",
    permission="deliberations:convene",
    body=CorrectionIn,
    response=DeliberationOut,
    status=201,
    idempotent=True,
    summary="更正已定稿的纪要（新版本，引用上一版）/ Correct frozen minutes: a new version referencing the last",
)
def propose_correction(ctx: RequestContext) -> DeliberationOut:
    return _corrections().propose(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/deliberations/{id}/corrections/{correction}/confirm",
    "POST",
    permission="deliberations:confirm",
    response=DeliberationOut,
    summary="参会人确认纪要更正 / An attendee confirms a correction",
)
def confirm_correction(ctx: RequestContext) -> DeliberationOut:
    return _corrections().confirm(ctx.user, ctx.actor, ctx.path["id"], ctx.path["correction"])


@api.route(
    "/v1/deliberations/{id}/corrections/{correction}/objections",
    "POST",
    permission="deliberations:confirm",
    body=MinutesObjectionIn,
    response=DeliberationOut,
    summary="审阅期内对纪要更正提出异议 / Object to a correction during its review window",
)
def object_to_correction(ctx: RequestContext) -> DeliberationOut:
    return _corrections().object(ctx.user, ctx.actor, ctx.path["id"], ctx.path["correction"], ctx.body)


@api.route(
    "/v1/deliberations/{id}/corrections/{correction}/objections/{n}/replies",
    "POST",
    permission="deliberations:convene",
    body=ObjectionReplyIn,
    response=DeliberationOut,
    summary="答复对纪要更正的异议 / Reply to an objection",
)
def reply_to_objection(ctx: RequestContext) -> DeliberationOut:
    n = int(ctx.path["n"]) if ctx.path["n"].isdigit() else 0
    return _corrections().reply(ctx.user, ctx.actor, ctx.path["id"], ctx.path["correction"], n=n, data=ctx.body)


@api.route(
    "/v1/deliberations/{id}/corrections/{correction}/freeze",
    "POST",
    permission="deliberations:convene",
    response=DeliberationOut,
    summary="审阅期满后更正定稿 / Freeze a correction after its review window",
)
def freeze_correction(ctx: RequestContext) -> DeliberationOut:
    return _corrections().freeze(ctx.user, ctx.actor, ctx.path["id"], ctx.path["correction"])


@api.route(
    "/v1/deliberations/{id}/minutes/freeze",
    "POST",
    permission="deliberations:convene",
    response=DeliberationOut,
    summary="纪要定稿（记录哈希），本次会议结束并转入下一环节 / Freeze the minutes: the meeting ends",
)
def freeze_minutes(ctx: RequestContext) -> DeliberationOut:
    return _svc().freeze_minutes(ctx.user, ctx.actor, ctx.path["id"])


# -- responsibility list -------------------------------------------------------------------------------
@api.route(
    "/v1/responsibility-items/{id}",
    "GET",
    permission="responsibility:read",
    response=ItemOut,
    summary="责任清单事项 / A responsibility-list item",
)
def get_item(ctx: RequestContext) -> ItemOut:
    return _svc().get_item(ctx.user, ctx.path["id"])


@api.route(
    "/v1/responsibility-items/{id}/progress",
    "POST",
    permission="responsibility:write",
    body=ItemProgressIn,
    response=ItemOut,
    summary="责任单位接单、报进展、办完 / Accept, report progress, report done",
)
def item_progress(ctx: RequestContext) -> ItemOut:
    return _svc().item_progress(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/responsibility-items/{id}/close",
    "POST",
    permission="responsibility:write",
    body=ItemCloseIn,
    response=ItemOut,
    summary="回访满意度并销号 / Follow-up satisfaction and closure (销号)",
)
def close_item(ctx: RequestContext) -> ItemOut:
    return _svc().close_item(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/units/{code}/responsibility-items",
    "GET",
    permission="responsibility:read",
    query=ItemQuery,
    response=ItemPage,
    summary="单元及下级牵头的责任清单（可只看逾期）/ Responsibility items led in a subtree",
)
def unit_items(ctx: RequestContext) -> ItemPage:
    q: ItemQuery = ctx.query
    return _svc().items_below(ctx.user, ctx.path["code"], overdue=q.overdue, limit=q.limit, cursor=q.cursor)


@api.route(
    "/v1/units/{code}/supervision",
    "GET",
    permission="responsibility:read",
    response=SupervisionOut,
    summary="挂牌督办：下级超期的会议和逾期事项 / Lapsed meetings and overdue items below a unit",
)
def unit_supervision(ctx: RequestContext) -> SupervisionOut:
    return _svc().supervision(ctx.user, ctx.path["code"])


# -- 四议两公开 -----------------------------------------------------------------------------------------
@api.route(
    "/v1/village-decisions",
    "POST",
    permission="village_decisions:write",
    body=VillageDecisionIn,
    response=VillageDecisionOut,
    status=201,
    idempotent=True,
    summary="四议两公开：村党组织提议 / 四议两公开: the proposal",
)
def propose_decision(ctx: RequestContext) -> VillageDecisionOut:
    return _decisions().propose(ctx.user, ctx.actor, ctx.body)


@api.route(
    "/v1/village-decisions/{id}",
    "GET",
    permission="village_decisions:read",
    response=VillageDecisionOut,
    summary="村级决策事项及时间线 / A village decision and its timeline",
)
def get_decision(ctx: RequestContext) -> VillageDecisionOut:
    return _decisions().get(ctx.user, ctx.path["id"])


@api.route(
    "/v1/village-decisions/{id}/consultation",
    "POST",
    permission="village_decisions:write",
    body=ConsultationIn,
    response=VillageDecisionOut,
    summary="村两委商议 / Consultation",
)
def consult_decision(ctx: RequestContext) -> VillageDecisionOut:
    return _decisions().consult(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/village-decisions/{id}/votes",
    "POST",
    permission="village_decisions:write",
    body=VoteIn,
    response=VillageDecisionOut,
    summary="党员大会或村民（代表）会议表决：到会≥2/3，赞成>1/2 / A meeting's vote",
)
def vote_decision(ctx: RequestContext) -> VillageDecisionOut:
    return _decisions().vote(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/village-decisions/{id}/objections",
    "POST",
    permission="village_decisions:write",
    body=DecisionObjectionIn,
    response=VillageDecisionOut,
    summary="公示期内登记异议 / Record an objection during the public notice",
)
def object_decision(ctx: RequestContext) -> VillageDecisionOut:
    return _decisions().object(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/village-decisions/{id}/objections",
    "GET",
    permission="village_decisions:read",
    response=DecisionObjectionsOut,
    summary="公示期异议及答复（异议人脱敏）/ The notice's objections and their replies (masked)",
)
def decision_objections(ctx: RequestContext) -> DecisionObjectionsOut:
    return _decisions().list_objections(ctx.user, ctx.path["id"])


@api.route(
    "/v1/village-decisions/{id}/objections/{n}/replies",
    "POST",
    permission="village_decisions:write",
    body=ObjectionReplyIn,
    response=VillageDecisionOut,
    status=201,
    idempotent=True,
    summary="答复公示期异议（全部答复后方可实施）/ Reply to an objection (all answered before implementation)",
)
def reply_to_decision_objection(ctx: RequestContext) -> VillageDecisionOut:
    n = int(ctx.path["n"]) if ctx.path["n"].isdigit() else 0
    return _decisions().reply(ctx.user, ctx.actor, ctx.path["id"], n=n, data=ctx.body, if_match=ctx.if_match())


@api.route(
    "/v1/village-decisions/{id}/implementation",
    "POST",
    permission="village_decisions:write",
    body=StepNoteIn,
    response=VillageDecisionOut,
    summary="公示期满后组织实施 / Implementation, once the objection window has closed",
)
def implement_decision(ctx: RequestContext) -> VillageDecisionOut:
    return _decisions().implement(ctx.user, ctx.actor, ctx.path["id"], ctx.body)


@api.route(
    "/v1/village-decisions/{id}/result",
    "POST",
    permission="village_decisions:write",
    body=StepNoteIn,
    response=VillageDecisionOut,
    summary="实施结果公开 / Publish the result",
)
def publish_decision_result(ctx: RequestContext) -> VillageDecisionOut:
    return _decisions().publish_result(ctx.user, ctx.actor, ctx.path["id"], ctx.body)
