"""Catalogues kept as data (household tags, later duty posts, categories...): a kind, a code, names."""

from __future__ import annotations

import re
import time

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.core.errors import FieldError, ValidationFailed, not_found


@register_model
class CatalogueEntryModel(Model):
    class Meta(BaseMeta):
        table_suffix = "catalogues"

    kind = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)
    name_zh = UnicodeAttribute()
    name_en = UnicodeAttribute()
    sort = NumberAttribute(default=0)
    active = BooleanAttribute(default=True)


DEFAULT_CATALOGUES: dict[str, list[tuple[str, str, str]]] = {
    # 民情地图 tags of a household
    "household_tag": [
        ("elderly_alone", "独居老人", "Elderly living alone"),
        ("low_income", "低保户", "Minimum-living-allowance household"),
        ("disabled", "残疾人", "Person with disability"),
        ("left_behind_child", "留守儿童", "Left-behind child"),
        ("left_behind_elderly", "留守老人", "Left-behind elderly"),
        ("veteran", "退役军人", "Veteran"),
        ("special_care", "特殊关爱对象", "Special care"),
        ("serious_illness", "大病患者", "Serious illness"),
        ("party_member_household", "党员户", "Party member's household"),
    ],
    # 在职党员到社区报到: kinds of need on a community's 需求表
    "community_need": [
        ("serve_as_neighbour_head", "当邻长", "Serve as a neighbourhood head"),
        ("help_neighbour_head", "帮邻长", "Help a neighbourhood head"),
        ("policy_outreach", "政策宣传", "Policy outreach"),
        ("environment", "环境整治", "Environment clean-up"),
        ("care_support", "关爱帮扶", "Care and support"),
        ("civility", "文明劝导", "Civility persuasion"),
        ("skills_service", "技能服务", "Skills service"),
        ("other", "其他", "Other"),
    ],
    # 设岗定责: the duty posts a party member claims (亮作风)
    "duty_post": [
        ("policy_promotion", "政策宣传岗", "Policy promotion"),
        ("dispute_mediation", "矛盾调解岗", "Dispute mediation"),
        ("environment_sanitation", "环境卫生岗", "Environment and sanitation"),
        ("security_patrol", "治安巡逻岗", "Security patrol"),
        ("assistance", "帮扶岗", "Assistance to households in need"),
        ("industry_development", "产业发展岗", "Industry development"),
        ("civility", "文明新风岗", "Civility and new customs"),
        ("volunteer_service", "志愿服务岗", "Volunteer service"),
    ],
    # 人民调解 dispute categories (the 14 of the county's register)
    "mediation_category": [
        ("marriage_family", "婚姻家庭继承", "Marriage, family and inheritance"),
        ("neighbour", "邻里", "Neighbours"),
        ("housing_homestead", "房屋宅基地", "Housing and homestead"),
        ("compensation", "赔偿", "Compensation"),
        ("contract", "合同", "Contract"),
        ("forest_land_contract", "山林土地承包", "Forest and land contracting"),
        ("expropriation", "征地拆迁", "Land expropriation and demolition"),
        ("labour", "劳动争议", "Labour dispute"),
        ("village_affairs", "村务管理", "Village affairs"),
        ("environment", "环境保护", "Environmental protection"),
        ("traffic", "交通事故", "Traffic accident"),
        ("medical", "医患", "Doctor and patient"),
        ("property_management", "物业", "Property management"),
        ("other", "其他", "Other"),
    ],
    # what started a dispute (a case has up to three)
    "mediation_cause": [
        ("gossip", "说闲话", "Gossip"),
        ("homestead_boundary", "宅基地边界", "Homestead boundary"),
        ("elder_support", "赡养", "Support of elderly parents"),
        ("inheritance", "遗产分配", "Sharing an inheritance"),
        ("water_drainage", "排水用水", "Water and drainage"),
        ("livestock", "家禽家畜", "Poultry and livestock"),
        ("debt", "借款欠款", "Loans and debts"),
        ("noise", "噪音", "Noise"),
        ("wages", "拖欠工资", "Unpaid wages"),
        ("road_access", "道路通行", "Right of way"),
        ("spouse_conflict", "夫妻矛盾", "Conflict between spouses"),
    ],
    # kinds of mediator team: a committee (调委会) numbers cases; panels of residents mediate
    "mediation_team_kind": [
        ("committee", "人民调解委员会", "People's mediation committee"),
        ("elders_panel", "银龄裁判团", "Elders' panel (银龄裁判团)"),
        ("civility_panel", "新时代文明裁判团", "New-era civility panel"),
        ("other", "其他调解组织", "Other mediation team"),
    ],
    # 诉求 categories (民情三会)
    "concern_category": [
        ("roads", "道路交通", "Roads and transport"),
        ("water", "水利供水", "Water and irrigation"),
        ("environment", "环境卫生", "Environment and sanitation"),
        ("neighbour_dispute", "邻里纠纷", "Neighbour dispute"),
        ("land", "土地宅基地", "Land and homesteads"),
        ("social_security", "社会保障", "Social security"),
        ("elderly_children", "一老一小", "Elderly and children"),
        ("public_safety", "治安安全", "Public safety"),
        ("village_affairs", "村务管理", "Village affairs"),
        ("other", "其他", "Other"),
    ],
}


CACHE_SECONDS = 60.0
ENTRY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_cache: dict[str, tuple[float, list[CatalogueEntryModel]]] = {}


class CatalogueStore:
    def __init__(self, *, audit: AuditStore | None = None) -> None:
        self.audit = audit or AuditStore()

    def put_entry(
        self, actor: Actor, kind: str, code: str, name_zh: str, name_en: str, *, active: bool
    ) -> CatalogueEntryModel:
        """Check the kind and the code, then `put`: only the catalogues the service knows can be edited."""
        if kind not in DEFAULT_CATALOGUES:
            raise not_found("目录", "Catalogue")
        if not ENTRY_CODE.fullmatch(code):
            raise ValidationFailed(
                "条目编码须为小写字母、数字或下划线（2–40位）", "Entry codes are 2-40 lower-case letters, digits or _",
                [FieldError("path.entry", "格式不正确 / invalid format")],
            )  # fmt: skip
        return self.put(CatalogueEntryModel(kind, code, name_zh=name_zh, name_en=name_en, active=active), actor)

    def put(self, entry: CatalogueEntryModel, actor: Actor) -> CatalogueEntryModel:
        """Add or change an entry (entries are never deleted: `active=False` retires one), audited."""
        try:
            before = CatalogueEntryModel.get(entry.kind, entry.code).attribute_values
        except CatalogueEntryModel.DoesNotExist:
            before = None
        with transaction() as tx:
            tx.save(entry)
            self.audit.append(
                tx,
                actor,
                action="catalogue.put",
                entity_type="catalogue",
                entity_id=f"{entry.kind}/{entry.code}",
                unit_path=actor.scope,
                before=before,
                after=entry.attribute_values,
            )
        return entry

    def entries(self, kind: str, *, active_only: bool = True) -> list[CatalogueEntryModel]:
        items = list(CatalogueEntryModel.query(kind))
        items.sort(key=lambda e: (int(e.sort), e.code))
        return [e for e in items if e.active or not active_only]

    def recent_entries(self, kind: str) -> list[CatalogueEntryModel]:
        """Active entries, read at most once a minute per process: for labels on read-heavy pages (a change
        shows within `CACHE_SECONDS`); validation uses `codes`, which always reads."""
        now = time.monotonic()
        hit = _cache.get(kind)
        if hit is None or hit[0] < now:
            hit = (now + CACHE_SECONDS, self.entries(kind))
            _cache[kind] = hit
        return hit[1]

    def codes(self, kind: str) -> set[str]:
        return {e.code for e in self.entries(kind)}

    def ensure_defaults(self) -> None:
        """Write the shipped catalogues where an entry is missing (never overwrites an edited entry)."""
        for kind, rows in DEFAULT_CATALOGUES.items():
            existing = {e.code for e in self.entries(kind, active_only=False)}
            for sort, (code, zh, en) in enumerate(rows):
                if code not in existing:
                    CatalogueEntryModel(kind, code, name_zh=zh, name_en=en, sort=sort).save()
