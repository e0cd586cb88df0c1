"""Demo concerns for `make run`: 夏铎铺's water dispute and a road repair in 鹊山村第一组, ready for a courtyard
meeting (the tests start without them)."""

from __future__ import annotations

from chalicelib.deliberation.schemas import ConcernIn
from chalicelib.deliberation.service import default_service

DEMO_CONCERNS: tuple[tuple[str, str, str], ...] = (
    ("夏铎铺灌溉用水纠纷：上下游两组争水，请求协调轮灌", "water", "周建国"),
    ("第一组村道坑洼，雨天积水难行，请求修路", "roads", "胡明"),
)
DEMO_GROUP = "430182-DCQ-QS-P01-Z01"


def seed_demo_concerns() -> None:
    from chalicelib.localstack.seed import DEMO_ACCOUNTS, SYSTEM_ACTOR  # noqa: PLC0415 - seed imports this module

    service = default_service()
    admin = next(a for a in DEMO_ACCOUNTS if a.role == "city_admin").principal()
    for text, category, raised_by in DEMO_CONCERNS:
        data = ConcernIn(text=text, category=category, unit=DEMO_GROUP, raised_by=raised_by, source="work_day")
        service.create_concern(admin, SYSTEM_ACTOR, data)
