"""Demo concerns for `make run`: 夏铎铺's water dispute (the upstream group and the downstream group each raise
their side, so two courtyard meetings feed the village's analysis meeting) and a road repair in 鹊山村第一组,
ready for courtyard meetings (the tests start without them). `scripts/water_dispute.py` walks them through
the three meetings over HTTP, as 夏铎铺镇's demo accounts (xdp-group, xdp-area, xdp-village, xdp-town)."""

from __future__ import annotations

from chalicelib.deliberation.schemas import ConcernIn
from chalicelib.deliberation.service import default_service

DEMO_GROUP = "430182-DCQ-QS-P01-Z01"
UPSTREAM_GROUP = "430182-XDP-XT-P01-Z01"  # 夏铎铺镇新塘村 (demo name)
DOWNSTREAM_GROUP = "430182-XDP-XT-P01-Z02"
WATER_MARK = "夏铎铺灌溉用水纠纷"
# (text, category, who raised it, group)
DEMO_CONCERNS: tuple[tuple[str, str, str, str], ...] = (
    (f"{WATER_MARK}：上下游两组争水，上游第一组请求协调轮灌", "water", "周建国", UPSTREAM_GROUP),
    (f"{WATER_MARK}：下游第二组反映上游截水，秧田缺水", "water", "李桂香", DOWNSTREAM_GROUP),
    ("第一组村道坑洼，雨天积水难行，请求修路", "roads", "胡明", DEMO_GROUP),
)


def seed_demo_concerns() -> None:
    from chalicelib.localstack.seed import DEMO_ACCOUNTS, SYSTEM_ACTOR  # noqa: PLC0415 - seed imports this module

    service = default_service()
    admin = next(a for a in DEMO_ACCOUNTS if a.role == "city_admin").principal()
    for text, category, raised_by, unit in DEMO_CONCERNS:
        data = ConcernIn(text=text, category=category, unit=unit, raised_by=raised_by, source="work_day")
        service.create_concern(admin, SYSTEM_ACTOR, data)
