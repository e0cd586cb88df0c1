"""四议两公开: a binding village decision goes 提议 → 商议 → 党员大会审议 → 村民（代表）会议决议 → 决议公开 (with an
objection window) → 组织实施 → 结果公开. Quorums and majorities are `rules.tally`; the party meeting's entitled
count is read from the members slice (full members of the branch living in the village).

Objections raised during the notice are answered by the cadre holding the decision (objections.py, as for
minutes corrections); the decision stays at the notice, and its execution waits at `objection_replies`, until
every objection has a reply. When the wait for the end of the notice is over, the execution first closes a door on
the run item (`notice_closed`) that every objection's transaction is conditional on, then reads the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core import workflows
from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.errors import Conflict, check_version, field_error, not_found
from chalicelib.core.ids import new_id
from chalicelib.deliberation import objections, rules
from chalicelib.deliberation.orchestration import Orchestrator
from chalicelib.deliberation.schemas import (
    ConsultationIn,
    DecisionObjectionIn,
    DecisionObjectionsOut,
    ObjectionReplyIn,
    StepNoteIn,
    VillageDecisionIn,
    VillageDecisionOut,
    VoteIn,
    VoteOut,
)
from chalicelib.deliberation.service import now_iso, out_of_turn, timeline, workflow_out
from chalicelib.deliberation.store import Change, DeliberationStore, VillageDecisionModel, WorkflowRunModel
from chalicelib.grid.service import GridService
from chalicelib.grid.service import default_service as grid_service
from chalicelib.members.store import MemberStore

WORKFLOW = "four_steps_two_publics"
FINAL = ("done", "rejected")
TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"  # what a Wait state's TimestampPath accepts
REPLIES_STEP = "objection_replies"  # the execution's step after the notice while objections have no reply


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def window_open(item: VillageDecisionModel, now: datetime) -> bool:
    if item.stage != "objection_window" or not item.objection_until:
        return False
    return now < datetime.strptime(item.objection_until, TIMESTAMP).replace(tzinfo=UTC)


def notice_ended(item: VillageDecisionModel) -> Conflict:
    return Conflict(
        f"决议公示已结束（{item.objection_until} 截止），不再受理异议",
        f"The notice has ended (at {item.objection_until}); no more objections",
    )


def effective_stage(item: VillageDecisionModel, now: datetime) -> str:
    """The objection window closes by the clock: after it, the decision is being implemented, once every
    objection has a reply (until then it stays at the notice)."""
    if item.stage == "objection_window" and item.objection_until and not window_open(item, now):
        return "objection_window" if objections.unanswered(item.objections) else "implementation"
    return item.stage


def decision_state(item: VillageDecisionModel) -> dict[str, Any]:
    keys = ("id", "village_code", "title", "proposal", "branch", "stage", "consultation", "objection_until")
    replies = sum(len(o.get("replies", [])) for o in item.objections)
    return {k: getattr(item, k) for k in keys} | {
        "votes": list(item.votes), "objections": len(item.objections), "replies": replies,
    }  # fmt: skip


def decision_out(item: VillageDecisionModel, run: WorkflowRunModel | None) -> VillageDecisionOut:
    stage = effective_stage(item, _now())
    return VillageDecisionOut(
        id=item.id,
        village=item.village_code,
        village_path=item.village_path,
        title=item.title,
        proposal=item.proposal,
        branch=item.branch,
        stage=stage,
        stage_label=rules.DECISION_LABELS[stage],
        consultation=item.consultation,
        votes=[VoteOut(**v) for v in item.votes],
        published_at=item.published_at,
        objection_until=item.objection_until,
        objections=objections.shown_all(item.objections),
        open_objections=[o["n"] for o in objections.unanswered(item.objections)],
        implementation=item.implementation,
        result=item.result,
        timeline=timeline(item.transitions, run, rules.DECISION_LABELS),
        workflow=workflow_out(run, lambda _stage: item.village_code),
        version=int(item.version or 0),
    )


def _transition(actor: Actor, kind: str, stage: str | None) -> dict[str, Any]:
    return {"at": now_iso(), "kind": kind, "stage": stage, "by_role": actor.role}


class DecisionService:
    def __init__(
        self, *, store: DeliberationStore, grid: GridService, members: MemberStore, orchestrator: Orchestrator
    ) -> None:
        self.store = store
        self.grid = grid
        self.members = members
        self.orchestrator = orchestrator

    def _visible(self, principal: Principal, decision_id: str) -> VillageDecisionModel:
        """Those above the village see it, and so do the 三长 within it (两公开: the decision is public)."""
        item = self.store.decision(decision_id)
        inside = (
            principal.unit_scope is not None and path_within(principal.unit_scope, item.village_path) if item else False
        )
        if item is None or not (principal.sees_unit(item.village_path) or inside):
            raise not_found("村级决策事项", "Village decision")
        return item

    def _out(self, item: VillageDecisionModel) -> VillageDecisionOut:
        return decision_out(item, self.store.run(item.id))

    def _save(
        self, actor: Actor, item: VillageDecisionModel, before: dict[str, Any], action: str, *,
        step: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        """The change and its audit event; `step` (step, since) also goes on the run in the same transaction."""
        change = Change(item, action, "village_decision", item.village_path, before, decision_state(item))
        self.store.write(actor, [change], steps={item.id: step} if step else None)

    @staticmethod
    def _at(item: VillageDecisionModel, step: str) -> None:
        current = effective_stage(item, _now())
        if current != step:
            raise out_of_turn(current, step, rules.DECISION_LABELS)

    def branch_members(self, item: VillageDecisionModel) -> int:
        """Full members of the branch living in the village: those entitled to vote at the party meeting
        (a probationary member has no vote)."""
        count, after = 0, None
        while True:
            members, after = self.members.below(
                item.root, item.village_path, status="full", in_service=None, limit=500, after=after
            )
            count += sum(1 for m in members if m.branch == item.branch)
            if not after:
                return count

    # -- steps -----------------------------------------------------------------------------------------
    def propose(self, principal: Principal, actor: Actor, data: VillageDecisionIn) -> VillageDecisionOut:
        village = self.grid.store.unit(data.village)
        if village is None or not principal.sees_unit(village.path):
            raise field_error("body.village", "村不存在或不在您的管辖范围内", "Village not found or outside your scope")
        if village.level != "village":
            raise field_error("body.village", "四议两公开由村（社区）办理", "四议两公开 is run by a village")
        item = VillageDecisionModel(
            new_id(),
            village_code=village.code,
            village_path=village.path,
            root=village.root,
            title=data.title,
            proposal=data.proposal,
            branch=data.branch,
            stage="consultation",
            votes=[],
            objections=[],
            transitions=[_transition(actor, "proposed", "consultation")],
            created_at=now_iso(),
        )
        item.path_key = f"{village.path}/#{item.id}"
        run = WorkflowRunModel(
            item.id, kind=WORKFLOW, root=item.root, path_key=item.path_key, open_kind=WORKFLOW, restarts=0
        )
        change = Change(
            item, "village_decision.propose", "village_decision", village.path, None, decision_state(item), new=True
        )
        self.store.write(actor, [change], runs=[run])
        self.orchestrator.start(item.id, "consultation")
        return self._out(item)

    def get(self, principal: Principal, decision_id: str) -> VillageDecisionOut:
        return self._out(self._visible(principal, decision_id))

    def consult(self, principal: Principal, actor: Actor, decision_id: str, data: ConsultationIn) -> VillageDecisionOut:
        item = self._visible(principal, decision_id)
        self._at(item, "consultation")
        before = decision_state(item)
        item.consultation, item.stage = data.note, "party_meeting"
        item.transitions = [*item.transitions, _transition(actor, "consulted", "consultation")]
        self._save(actor, item, before, "village_decision.consult")
        self.orchestrator.advance(item.id, "consultation", {"next": "party_meeting"}, next_step="party_meeting")
        return self._out(item)

    def vote(self, principal: Principal, actor: Actor, decision_id: str, data: VoteIn) -> VillageDecisionOut:
        """A meeting's count: no quorum leaves the step open (the meeting is held again); otherwise the
        majority adopts (next step) or rejects (the decision ends)."""
        item = self._visible(principal, decision_id)
        self._at(item, data.meeting)
        if data.meeting == "party_meeting":
            if data.entitled is not None:
                raise field_error(
                    "body.entitled", "党员大会的应到人数按党员名册计算", "The roll gives the party meeting's count"
                )
            entitled = self.branch_members(item)
        else:
            if data.entitled is None:
                raise field_error(
                    "body.entitled", "须填村民（代表）应到人数", "The villagers' meeting needs its entitled count"
                )
            entitled = data.entitled
        try:
            result = rules.tally(entitled, data.present, data.in_favour, data.against, data.abstain)
        except ValueError as e:
            raise field_error("body.present", f"票数不成立（应到 {entitled} 人）", f"Impossible counts: {e}") from e
        before = decision_state(item)
        vote = {
            "meeting": data.meeting, "held_on": data.held_on.isoformat(), "entitled": entitled, "present": data.present,
            "in_favour": data.in_favour, "against": data.against, "abstain": data.abstain,
            "quorum_met": result.quorum_met, "adopted": result.adopted, "outcome": result.outcome,
        }  # fmt: skip
        item.votes = [*item.votes, vote]
        item.transitions = [*item.transitions, _transition(actor, result.outcome, data.meeting)]
        output: dict[str, Any] = {}
        notice: tuple[str, str] | None = None  # the run's step from publication on (the execution only waits)
        if result.outcome == "rejected":
            item.stage = "rejected"
            output = {"next": "rejected"}
        elif result.outcome == "adopted" and data.meeting == "party_meeting":
            item.stage = "villagers_meeting"
            output = {"next": "villagers_meeting"}
        elif result.outcome == "adopted":
            now = _now()
            until = now + timedelta(seconds=workflows.seconds("objection_window"))
            item.stage, item.published_at = "objection_window", now.isoformat()
            item.objection_until = until.strftime(TIMESTAMP)
            item.transitions = [*item.transitions, _transition(actor, "published", "objection_window")]
            output = {"next": "objection_window", "objection_until": item.objection_until}
            notice = ("objection_window", item.published_at)
        self._save(actor, item, before, f"village_decision.vote_{result.outcome}", step=notice)
        if output:
            self.orchestrator.advance(
                item.id, data.meeting, output, next_step=item.stage, extra=self._extra(item), final=item.stage in FINAL,
                recorded=notice is not None,
            )  # fmt: skip
        return self._out(item)

    @staticmethod
    def _extra(item: VillageDecisionModel) -> dict[str, Any]:
        """What a (re)started execution needs besides the step: the end of the objection window."""
        return {"result": {"objection_until": item.objection_until}} if item.objection_until else {}

    def object(
        self, principal: Principal, actor: Actor, decision_id: str, data: DecisionObjectionIn
    ) -> VillageDecisionOut:
        """Recorded while the notice is open by the clock and, in the same transaction as the objection, on
        condition that the execution has not closed its door (`CloseNotice`, right after the wait): an objection
        checked just before the end and committed just after would otherwise be missed by the execution, which
        reads the count of open objections once, after the door."""
        item = self._visible(principal, decision_id)
        self._at(item, "objection_window")
        if not window_open(item, _now()):
            raise notice_ended(item)
        before = decision_state(item)
        item.objections = objections.raise_objection(
            item.objections, text=data.text, raised_by=data.raised_by, by_role=actor.role
        )
        item.transitions = [*item.transitions, _transition(actor, "objection", "objection_window")]
        change = Change(item, "village_decision.objection", "village_decision", item.village_path, before,
                        decision_state(item))  # fmt: skip
        try:
            self.store.write(actor, [change], open_objections={item.id: 1}, notice_open=[item.id])
        except Conflict:
            run = self.store.run(item.id)
            if run is not None and run.notice_closed:  # the door stays shut once closed
                raise notice_ended(item) from None
            raise
        return self._out(item)

    # -- replies to objections -------------------------------------------------------------------------
    def _held(self, principal: Principal, decision_id: str) -> VillageDecisionModel:
        """The decision as its holder sees it: the village's cadres and those above (not a 三长 inside it)."""
        item = self._visible(principal, decision_id)
        if not principal.sees_unit(item.village_path):
            raise not_found("村级决策事项", "Village decision")
        return item

    def list_objections(self, principal: Principal, decision_id: str) -> DecisionObjectionsOut:
        item = self._visible(principal, decision_id)
        return DecisionObjectionsOut(
            decision=item.id,
            stage=effective_stage(item, _now()),
            objection_until=item.objection_until,
            open=[o["n"] for o in objections.unanswered(item.objections)],
            items=objections.shown_all(item.objections),
            version=int(item.version or 0),
        )

    def reply(
        self, principal: Principal, actor: Actor, decision_id: str, *, n: int, data: ObjectionReplyIn,
        if_match: int | None,
    ) -> VillageDecisionOut:  # fmt: skip
        """The holder answers objection `n`. The first reply to the last open objection, once the notice is
        over, lets the execution go on from `objection_replies` to implementation."""
        item = self._held(principal, decision_id)
        check_version(if_match, item.version)
        item.objections = objections.number(item.objections)
        objection = objections.find(item.objections, n)
        before = decision_state(item)
        first = objections.reply(objection, principal, actor, data.text)
        item.transitions = [*item.transitions, _transition(actor, "objection_replied", "objection_window")]
        change = Change(item, "village_decision.objection_reply", "village_decision", item.village_path, before,
                        decision_state(item))  # fmt: skip
        self.store.write(actor, [change], open_objections={item.id: -1} if first else None)
        if first and not objections.unanswered(item.objections):
            self._release(item)
        return self._out(item)

    def _release(self, item: VillageDecisionModel) -> None:
        """Complete the execution's wait for replies if it is there. It entered that step only while the run
        still counted an open objection, before this reply's transaction; otherwise it has gone (or will go)
        straight on to implementation, and there is nothing to complete."""
        run = self.store.run(item.id)
        if run is not None and run.step == REPLIES_STEP and run.token:
            self.orchestrator.complete(item.id, REPLIES_STEP, {"next": "implementation"})

    def implement(self, principal: Principal, actor: Actor, decision_id: str, data: StepNoteIn) -> VillageDecisionOut:
        item = self._visible(principal, decision_id)
        if item.stage == "objection_window" and not window_open(item, _now()):
            objections.require_answered(item.objections, "组织实施", "implementation")
        self._at(item, "implementation")
        before = decision_state(item)
        item.implementation, item.stage = data.note, "result_publication"
        item.transitions = [*item.transitions, _transition(actor, "implemented", "implementation")]
        self._save(actor, item, before, "village_decision.implement")
        self.orchestrator.advance(
            item.id, "implementation", {"next": "result_publication"}, next_step="result_publication"
        )
        return self._out(item)

    def publish_result(
        self, principal: Principal, actor: Actor, decision_id: str, data: StepNoteIn
    ) -> VillageDecisionOut:
        item = self._visible(principal, decision_id)
        self._at(item, "result_publication")
        before = decision_state(item)
        item.result, item.stage = data.note, "done"
        item.transitions = [*item.transitions, _transition(actor, "result_published", "result_publication")]
        self._save(actor, item, before, "village_decision.result")
        self.orchestrator.advance(item.id, "result_publication", {"next": "done"}, next_step="done", final=True)
        return self._out(item)

    def resume(self) -> int:
        count = 0
        for run in self.store.open_runs(WORKFLOW):
            item = self.store.decision(run.id)
            if item is None:
                continue
            if item.stage in FINAL:
                self.store.close_run(item.id)
                continue
            if self.orchestrator.is_running(item.id):
                continue
            self.orchestrator.restart(item.id, item.stage, self._extra(item))
            count += 1
        return count


def default_decisions() -> DecisionService:
    store = DeliberationStore(audit=AuditStore())
    return DecisionService(
        store=store,
        grid=grid_service(),
        members=MemberStore(audit=AuditStore()),
        orchestrator=Orchestrator(workflow=WORKFLOW, store=store),
    )
