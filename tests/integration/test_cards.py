"""Contact cards (联系服务群众明白卡): a household sees who serves it, with the heads' phones in full; a 组
prints its households' cards on A4 sheets, 8 a page."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.core.clock import china_today
from tests.authz.common import id_number
from tests.support import ApiClient

QS = "430182-DCQ-QS"
P01 = f"{QS}-P01"
Z01 = f"{P01}-Z01"
L01 = f"{Z01}-L01"
L02 = f"{Z01}-L02"
HTML = {"Accept": "text/html"}


def _household(api: ApiClient, unit: str = L01, address: str = "鹊山村第一组8号", head: str = "胡明") -> str:
    body = {"unit": unit, "address": address, "head_name": head, "residents": 3, "phone": "13807311234"}
    answer = api.post("/v1/households", user="qs-village", body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def _appoint(api: ApiClient, unit: str, name: str, phone: str, user: str = "qs-village") -> None:
    body = {"person_name": name, "phone": phone, "is_member": True, "start": "2025-03-01"}
    answer = api.post(f"/v1/units/{unit}/appointments", user=user, body=body)
    assert answer.status == 201, answer.body


def _heads(api: ApiClient) -> None:
    _appoint(api, L01, "张良科", "13907310001")
    _appoint(api, Z01, "杨志强", "13907310002")
    _appoint(api, QS, "刘晓华", "13907310005", user="dcq-town")  # the 片 has no 片长 yet


def _by_role(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["role"]: c for c in card["contacts"]}


def test_a_household_card_names_its_heads_with_their_phones_in_full(api: ApiClient) -> None:
    _heads(api)
    household = _household(api)
    answer = api.get(f"/v1/households/{household}/contact-card", user="zhang-liangke")
    assert answer.status == 200, answer.body
    card = answer.json
    assert [c["role_label"] for c in card["contacts"]] == ["邻长", "组长", "片长", "联点干部"]
    contacts = _by_role(card)
    assert contacts["neighbour_head"]["person_name"] == "张良科"
    assert contacts["neighbour_head"]["phone"] == "13907310001"  # heads serve by publishing their phones
    assert contacts["group_head"]["phone"] == "13907310002"
    assert contacts["area_head"]["person_name"] is None and contacts["area_head"]["phone"] is None  # vacant
    assert contacts["liaison_cadre"]["person_name"] == "刘晓华"
    assert card["address"] == "鹊山村第一组8号" and card["place"].startswith("鹊山村")
    assert "13807311234" not in answer.body.decode()  # the household's own phone is not on its card


def test_a_new_head_shows_on_the_card_at_once(api: ApiClient) -> None:
    household = _household(api)
    before = _by_role(api.get(f"/v1/households/{household}/contact-card", user="qs-village").json)
    assert before["area_head"]["person_name"] is None
    _appoint(api, P01, "谈美文", "13907310004")
    after = _by_role(api.get(f"/v1/households/{household}/contact-card", user="qs-village").json)
    assert after["area_head"]["person_name"] == "谈美文" and after["area_head"]["phone"] == "13907310004"


def test_a_card_outside_the_callers_scope_is_not_found(api: ApiClient) -> None:
    mine = _household(api, unit=L02)
    assert api.get(f"/v1/households/{mine}/contact-card", user="zhang-liangke").status == 404  # another 邻
    assert api.get(f"/v1/households/{mine}/contact-card", user="zf-town").status == 404
    assert api.get(f"/v1/households/{mine}/contact-card", user="water-bureau").status == 403


def test_a_group_prints_its_cards_eight_to_a_page(api: ApiClient) -> None:
    _heads(api)
    for n in range(9):
        _household(api, unit=L01 if n < 6 else L02, address=f"鹊山村第一组{n + 1}号", head=f"户主{n + 1}")
    _household(api, unit=L02, address="<script>alert(1)</script>", head="王五")
    answer = api.get(f"/v1/units/{Z01}/contact-cards", user="qs-group", headers=HTML)
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    page = answer.body.decode()
    assert page.count('class="card"') == 10 and page.count('class="page"') == 2
    assert "@page { size: A4" in page and "共 10 户" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page  # every value is escaped
    assert page.count("13907310001") == 6  # 张良科 on the six cards of his 邻
    assert page.count("13907310002") == 10  # 杨志强 on every card of his 组
    assert re.search(r"联点干部</td><td>刘晓华", page)


def test_cards_print_per_neighbourhood_or_group_only(api: ApiClient) -> None:
    village = api.get(f"/v1/units/{QS}/contact-cards", user="qs-village", headers=HTML)
    assert village.status == 422 and village.json["error"]["fields"][0]["path"] == "path.code"
    assert api.get(f"/v1/units/{Z01}/contact-cards", user="qs-village").status == 406  # no Accept: text/html
    other = api.get("/v1/units/430182-ZF-QQH-P01-Z01/contact-cards", user="qs-village", headers=HTML)
    assert other.status == 404


def _member(api: ApiClient, household: str, name: str) -> str:
    body = {
        "name": name, "gender": "male", "id_number": id_number(), "phone": "13907310001", "branch": "鹊山村党支部",
        "status": "full", "join_date": "2010-07-01", "household": household,
    }  # fmt: skip
    answer = api.post("/v1/members", user="qs-group", body=body)
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


def test_the_covering_members_posts_and_pledge_appear_on_the_households_cards(api: ApiClient) -> None:
    """Issue 4's 'done': the member's pledge and posts appear on the households' cards."""
    _heads(api)
    elder = _household(api, address="鹊山村第一组3号", head="李桂香")
    zhang = _member(api, _household(api, head="张良科"), "张良科")
    year = china_today().year
    pledge = "带头清理屋场环境，每月走访联系户一次，帮助独居老人解决实际困难。"
    assert (
        api.request("PUT", f"/v1/members/{zhang}/posts", user="qs-group", body={"posts": ["assistance"]}).status == 200
    )
    assert api.post(f"/v1/members/{zhang}/coverage", user="qs-group", body={"household": elder}).status == 201
    assert api.post(f"/v1/members/{zhang}/pledges", user="qs-group", body={"year": year, "text": pledge}).status == 201

    card = api.get(f"/v1/households/{elder}/contact-card", user="zhang-liangke").json
    [member] = card["members"]
    assert (member["name"], member["posts"], member["pledge"]) == ("张良科", ["帮扶岗"], None)  # not yet approved
    assert member["phone"] == "139****0001"  # a member's phone stays masked; the heads' are published

    assert api.post(f"/v1/members/{zhang}/pledges/{year}/approve", user="qs-village").status == 200
    card = api.get(f"/v1/households/{elder}/contact-card", user="zhang-liangke").json
    assert card["members"][0]["pledge"] == pledge
    sheet = api.get(f"/v1/units/{L01}/contact-cards", user="zhang-liangke", headers=HTML).body.decode()
    assert f"承诺：{pledge}" in sheet and "张良科（帮扶岗）" in sheet
