"""The printable sheet of contact cards: Chinese, A4, 2 x 4 cards a page, for cadres to post door to door.
Plain HTML with print CSS (the browser's "print to PDF" makes the PDF); every value is escaped."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.cards.schemas import ContactCardOut
    from chalicelib.cards.service import CardSheet

CARDS_PER_PAGE = 8

STYLE = """
@page { size: A4; margin: 8mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif;
       color: #111; }
h1 { font-size: 14pt; margin: 4mm 0; }
.page { display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: repeat(4, 66mm); gap: 4mm;
        break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
.card { border: 0.6mm solid #b71c1c; border-radius: 2mm; padding: 3mm 4mm; overflow: hidden;
        break-inside: avoid; font-size: 9pt; line-height: 1.35; }
.card h2 { margin: 0 0 1mm; font-size: 11pt; color: #b71c1c; text-align: center; }
.card .who { font-size: 10pt; margin: 0 0 1.5mm; }
.card table { width: 100%; border-collapse: collapse; }
.card td { padding: 0.4mm 0; vertical-align: top; }
.card td.role { width: 16mm; color: #555; }
.card td.phone { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.card .members { margin-top: 1.5mm; border-top: 0.3mm dashed #b71c1c; padding-top: 1mm; }
.card .pledge { color: #333; font-size: 8pt; }
.card .foot { margin-top: 1mm; font-size: 8pt; color: #555; }
@media print { h1 { display: none; } }
@media screen { body { padding: 8mm; background: #eee; } .page { background: #fff; padding: 8mm;
  margin-bottom: 8mm; width: 210mm; } }
"""


def _card(card: ContactCardOut) -> str:
    rows = "".join(
        f'<tr><td class="role">{escape(c.role_label)}</td><td>{escape(c.person_name or "（待任命）")}</td>'
        f'<td class="phone">{escape(c.phone or "")}</td></tr>'
        for c in card.contacts
    )
    members = "".join(
        f"<div>{escape(m.name)}（{escape('、'.join(m.posts) or '党员')}）{escape(m.phone)}"
        + (f'<div class="pledge">承诺：{escape(m.pledge)}</div>' if m.pledge else "")
        + "</div>"
        for m in card.members
    )
    return (
        '<section class="card"><h2>联系服务群众明白卡</h2>'
        f'<p class="who">{escape(card.place)} · {escape(card.address)} · {escape(card.head_name)}户</p>'
        f"<table>{rows}</table>"
        + (f'<div class="members"><strong>联户党员</strong>{members}</div>' if members else "")
        + f'<p class="foot">有事找三长，急事拨 {escape(card.hotline)}</p></section>'
    )


def render(sheet: CardSheet) -> str:
    pages = [sheet.cards[i : i + CARDS_PER_PAGE] for i in range(0, len(sheet.cards), CARDS_PER_PAGE)]
    body = "".join('<div class="page">' + "".join(_card(c) for c in page) + "</div>" for page in pages)
    empty = "" if sheet.cards else "<p>本单元暂无住户。/ No households in this unit.</p>"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>明白卡 · {escape(sheet.title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(sheet.title)} 联系服务群众明白卡（共 {len(sheet.cards)} 户）</h1>"
        f"{body}{empty}</body></html>"
    )
