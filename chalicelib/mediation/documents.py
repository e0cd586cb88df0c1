"""Documents out of the mediation record: the register (调解登记台账) as .xlsx and the agreement (人民调解协议书)
as a printable A4 page.

The register holds no clear personal data: party names masked (张**), no statements, no summary. The agreement
page prints the parties' names and the agreed text, so it is a read of sealed details: the caller names a
purpose and an audit event is written first. ID numbers and phones stay masked on it.
"""

from __future__ import annotations

import html
from typing import Any

from chalicelib.core.audit import Actor
from chalicelib.core.auth import Principal
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.errors import Conflict, field_error
from chalicelib.mediation.schemas import (
    CASE_LEVEL_LABELS,
    RISK_LABELS,
    ROUTE_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
)
from chalicelib.mediation.service import MediationService, summary_out
from chalicelib.mediation.store import MediationCaseModel, unseal_details

REGISTER_SHEET = (
    "案号", "登记日期", "来源", "纠纷类别", "起因", "风险等级", "受理层级", "现处层级", "当事人", "调解员",
    "调解次数", "状态", "期限", "是否逾期", "结案日期", "结果",
)  # fmt: skip
OUTCOME_LABELS = {"resolved": "调解成功", "failed": "调解不成", "withdrawn": "撤回"}
PAGE = 500
MAX_REGISTER_ROWS = 20_000


class Documents:
    def __init__(self, *, service: MediationService) -> None:
        self.service = service

    def register(self, principal: Principal, code: str, year: int | None) -> bytes:
        from chalicelib.grid.export import _workbook_bytes  # noqa: PLC0415 - openpyxl only for exports

        unit = self.service.grid.visible_unit(principal, code)
        condition = None if year is None else MediationCaseModel.registered_on.startswith(f"{year}-")
        items: list[MediationCaseModel] = []
        after: dict[str, Any] | None = None
        while True:
            got, after = self.service.store.below(
                unit.root, unit.path, open_only=False, condition=condition, limit=PAGE, after=after
            )
            items += got
            if len(items) > MAX_REGISTER_ROWS:
                raise field_error("query.year", "案件过多，请按年度导出", "Too many cases; export one year at a time")
            if not after:
                break
        items.sort(key=lambda i: (i.registered_on, i.number))
        catalogue = CatalogueStore()
        categories = {e.code: e.name_zh for e in catalogue.entries("mediation_category", active_only=False)}
        causes = {e.code: e.name_zh for e in catalogue.entries("mediation_cause", active_only=False)}
        rows = [
            (
                i.number,
                i.registered_on,
                SOURCE_LABELS.get(i.source, i.source),
                categories.get(i.category, i.category),
                "、".join(causes.get(c, c) for c in i.causes),
                RISK_LABELS.get(i.risk, i.risk),
                CASE_LEVEL_LABELS.get(i.start_level, i.start_level),
                CASE_LEVEL_LABELS.get(i.level, i.level),
                "、".join(str(p.get("name") or "") for p in i.parties),
                "、".join(str(m["name"]) for m in i.mediators),
                len(i.sessions),
                STATUS_LABELS.get(i.status, i.status),
                i.due_on,
                "是" if summary_out(i).overdue else "否",
                i.closed_on or "",
                OUTCOME_LABELS.get(i.outcome or "", "")
                + (f"（{ROUTE_LABELS[i.failed_route]}）" if i.failed_route in ROUTE_LABELS else ""),
            )
            for i in items
        ]
        return _workbook_bytes([("调解登记台账", [REGISTER_SHEET, *rows])])

    def agreement(self, principal: Principal, actor: Actor, case_id: str, purpose: str, version: int | None) -> str:
        item = self.service.visible(principal, case_id)
        if not item.agreements:
            raise Conflict("该案件尚无调解协议", "The case has no agreement")
        public = {int(a["version"]): dict(a) for a in item.agreements}
        chosen = version or max(public)
        if chosen not in public:
            raise field_error("query.version", "没有该版本的协议", "No such agreement version")
        self.service.grid.store.audit_read(
            actor, "mediation_case.print_agreement", ("mediation_case", item.id), item.unit_path, purpose
        )
        doc = unseal_details(item.sealed)
        text = next(a for a in doc["agreements"] if int(a["version"]) == chosen)
        return agreement_html(item, public[chosen], text, doc["parties"])


def _e(value: Any) -> str:
    return html.escape(str(value if value is not None else ""))


def agreement_html(
    item: MediationCaseModel, public: dict[str, Any], text: dict[str, Any], parties: list[dict[str, Any]]
) -> str:
    """The 人民调解协议书 on one A4 page (print from the browser): parties, facts and issues, each side's duties,
    how, where and by when it is performed, signatures, mediators and the committee's seal."""
    sides = {"applicant": "申请人", "respondent": "被申请人"}
    rows = []
    for p in (dict(x) for x in item.parties):
        clear = parties[int(p["index"])]
        rows.append(
            f"<tr><th>{sides.get(str(p['side']), '当事人')}</th><td>{_e(clear['name'])}</td>"
            f"<td>证件号码：{_e(p.get('id_number') or '—')}</td><td>住址：{_e(clear.get('address') or '—')}</td></tr>"
        )
    party_rows = "".join(rows)
    duties = "".join(f"<li>{_e(parties[int(d['party'])]['name'])}：{_e(d['duty'])}</li>" for d in text["duties"])
    signatures = "".join(
        f"<span class='sign'>{_e(parties[int(dict(p)['index'])]['name'])}（签名或捺印）：</span>" for p in item.parties
    )
    mediators = "、".join(_e(m["name"]) for m in item.mediators) or "—"
    form = "书面协议" if public["form"] == "written" else "口头协议（记录）"
    correction = (
        f"<p class='note'>本协议为第{public['version']}版，"
        f"更正第{_e(public['supersedes'])}版：{_e(text.get('reason'))}</p>"
        if public.get("supersedes")
        else ""
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>人民调解协议书 {_e(item.number)}</title>
<style>
@page {{ size: A4; margin: 25mm 20mm; }}
body {{ font-family: "SimSun", "Songti SC", serif; font-size: 12pt; line-height: 1.8; color: #000; }}
h1 {{ text-align: center; font-size: 20pt; letter-spacing: 0.3em; margin: 0 0 4mm; }}
.number {{ text-align: right; }} table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border: 1px solid #000; padding: 1mm 2mm; text-align: left; vertical-align: top; }}
.sign {{ display: inline-block; width: 48%; margin-top: 10mm; }} .note {{ font-size: 10pt; }}
</style></head><body>
<h1>人民调解协议书</h1>
<p class="number">{_e(item.number)}（{form}）</p>
<table>{party_rows}</table>
<h2>纠纷主要事实、争议事项</h2><p>{_e(text["facts"])}</p>
<h2>经调解，双方自愿达成如下协议</h2><ol>{duties}</ol>
<h2>履行方式、地点、期限</h2>
<p>履行方式：{_e(text["performance_how"])}；履行地点：{_e(text["performance_place"])}；履行期限：{_e(public["performance_due"])}前。</p>
<p>本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。当事人可以自本协议生效之日起
三十日内共同向人民法院申请司法确认。</p>
{correction}
<p>{signatures}</p>
<p>签名方式：{_e(text.get("signature_note") or public["signatures"])}</p>
<p>人民调解员：{mediators}</p>
<p>{_e(text.get("seal_note") or "")}</p>
<p style="text-align:right">{_e(public["signed_on"])}</p>
</body></html>
"""
