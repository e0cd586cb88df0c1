"""夏铎铺's water dispute through 民情三会, over HTTP against the running local stack (`make run`).

    .venv/bin/python -m scripts.water_dispute                  # every step, on http://127.0.0.1:8000
    .venv/bin/python -m scripts.water_dispute --until analysis_graded
    .venv/bin/python -m scripts.water_dispute --from analysis_graded   # carries on (after a restart, say)

The seeded concerns (chalicelib/deliberation/demo.py): the upstream 第一组 and the downstream 第二组 each raised
their side. Steps, each as the demo account whose job it is:
  upstream_courtyard    第一组 组长: 屋场恳谈会 on the upstream side; sign-in, forwarded, minutes confirmed, frozen
  downstream_courtyard  第一片 片长: 第二组's 屋场恳谈会 on the downstream side, the same way
  analysis_started      村干部: the village's monthly 民情分析会 takes up both forwarded concerns
  analysis_graded       村干部: both graded important and sent to the town (大事不出镇)
  analysis_concluded    村干部: sign-in, minutes, frozen: the deliberation goes to the town
  town_decided          镇干部: 一事一策 (镇水利站牵头，引自来水、两组轮灌) and a whistle for the water bureau
  town_concluded        镇干部: minutes frozen; the deliberation is closed
Each step is idempotent enough to be run again after a restart: it reads where the record is first. The
records' ids are kept in a small JSON file next to nothing secret (ids only).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from chalicelib.core.clock import china_today

VILLAGE = "430182-XDP-XT"  # 夏铎铺镇新塘村 (a demo name: the article names no village)
UPSTREAM = "430182-XDP-XT-P01-Z01"
DOWNSTREAM = "430182-XDP-XT-P01-Z02"
MARK = "夏铎铺灌溉用水纠纷"
STEPS = (
    "upstream_courtyard",
    "downstream_courtyard",
    "analysis_started",
    "analysis_graded",
    "analysis_concluded",
    "town_decided",
    "town_concluded",
)


class Walkthrough:
    def __init__(self, base_url: str, state_file: Path) -> None:
        self.base_url = base_url.rstrip("/")
        self.state_file = state_file
        self.http = requests.Session()
        self.state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.is_file() else {}
        self._tokens: dict[str, str] = {}

    # -- HTTP --------------------------------------------------------------------------------------
    def token(self, user: str) -> str:
        if user not in self._tokens:
            answer = self.http.post(f"{self.base_url}/local-auth/token", json={"username": user}, timeout=30)
            answer.raise_for_status()
            self._tokens[user] = str(answer.json()["access_token"])
        return self._tokens[user]

    def call(self, method: str, path: str, user: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        answer = self.http.request(method, self.base_url + path, json=body, headers=headers, timeout=60)
        if answer.status_code not in expect:
            raise RuntimeError(f"{method} {path} as {user}: {answer.status_code} {answer.text[:500]}")
        return answer.json() if answer.content else None

    def save(self) -> None:
        self.state_file.write_text(json.dumps(self.state, ensure_ascii=False, indent=1))

    def record(self, deliberation: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"/v1/deliberations/{deliberation}", "city-admin")
        return result

    def waiting(self, deliberation: str, step: str, seconds: float = 60.0) -> dict[str, Any]:
        """The record once its workflow waits at (or has ended at) `step`."""
        deadline = time.monotonic() + seconds
        while True:
            got = self.record(deliberation)
            if got["workflow"]["step"] == step:
                return got
            if time.monotonic() > deadline:
                raise RuntimeError(f"{deliberation} is not at {step}: {got['workflow']}")
            time.sleep(0.3)

    # -- pieces ------------------------------------------------------------------------------------
    def water_concern(self, group: str, user: str) -> str:
        concerns = self.call("GET", f"/v1/units/{group}/concerns?limit=100", user)["items"]
        found = next((c for c in concerns if MARK in c["text"] and c["unit"] == group), None)
        if found is None:
            raise RuntimeError(f"no seeded water concern in {group}: is the demo seeded (make run)?")
        return str(found["id"])

    def courtyard(self, key: str, group: str, user: str, place: str, attendees: list[dict[str, str]]) -> None:
        if key not in self.state:
            concern = self.water_concern(group, user)
            body = {"unit": group, "title": "屋场恳谈会：灌溉用水", "concerns": [concern],
                    "convened_on": china_today().isoformat(), "place": place}  # fmt: skip
            self.state[key] = self.call("POST", "/v1/deliberations", user, body)["id"]
            self.state.setdefault("concerns", []).append(concern)
            self.save()
        delib = self.state[key]
        if self.record(delib)["stage"] != "courtyard_meeting":
            return
        concern = self.record(delib)["concerns"][0]
        base = f"/v1/deliberations/{delib}"
        self.waiting(delib, "courtyard_meeting")
        self.call("POST", f"{base}/attendance", user, {"attendees": attendees})
        self.call("POST", f"{base}/answers", user, {"items": [{"concern": concern, "outcome": "forwarded"}]})
        self.call("POST", f"{base}/minutes", user, {"text": "上下游争水，组内无法调处，提交村民情分析会。"})
        self.call("POST", f"{base}/minutes/confirm", user)
        self.call("POST", f"{base}/minutes/freeze", user)

    # -- steps -------------------------------------------------------------------------------------
    def upstream_courtyard(self) -> None:
        self.courtyard("upstream", UPSTREAM, "xdp-group", "周家屋场",
                       [{"kind": "grid_head", "name": "张良科"}, {"kind": "resident", "name": "周建国"},
                        {"kind": "cadre", "name": "刘晓华"}])  # fmt: skip

    def downstream_courtyard(self) -> None:
        self.courtyard("downstream", DOWNSTREAM, "xdp-area", "李家屋场",
                       [{"kind": "resident", "name": "李桂香"}, {"kind": "cadre", "name": "刘晓华"}])  # fmt: skip

    def analysis_started(self) -> None:
        if "analysis" in self.state:
            return
        body = {"village": VILLAGE, "month": china_today().strftime("%Y-%m"), "title": "新塘村月度民情分析会",
                "convened_on": china_today().isoformat(), "place": "新塘村党群服务中心"}  # fmt: skip
        self.state["analysis"] = self.call("POST", "/v1/analysis-meetings", "xdp-village", body)["id"]
        self.save()

    def analysis_graded(self) -> None:
        delib = self.state["analysis"]
        got = self.waiting(delib, "analysis_meeting")
        meeting = next(m for m in got["meetings"] if m["stage"] == "analysis_meeting")
        graded = {o["concern"] for o in meeting["outcomes"]}
        items = [{"concern": c, "grade": "important", "action": "town"} for c in got["concerns"]
                 if c not in graded]  # fmt: skip
        if items:
            self.call("POST", f"/v1/deliberations/{delib}/grades", "xdp-village", {"items": items})

    def analysis_concluded(self) -> None:
        delib = self.state["analysis"]
        if self.record(delib)["stage"] != "analysis_meeting":
            return
        base = f"/v1/deliberations/{delib}"
        self.waiting(delib, "analysis_meeting")
        attendees = [{"kind": "cadre", "name": "刘晓华"}, {"kind": "grid_head", "name": "杨志强"}]
        self.call("POST", f"{base}/attendance", "xdp-village", {"attendees": attendees})
        text = "两组争水涉及水源和管网，村级无法解决，提请镇民情研判会。"
        self.call("POST", f"{base}/minutes", "xdp-village", {"text": text})
        self.call("POST", f"{base}/minutes/confirm", "xdp-village")
        self.call("POST", f"{base}/minutes/freeze", "xdp-village")

    def town_decided(self) -> None:
        delib = self.state["analysis"]
        got = self.waiting(delib, "town_review")
        meeting = next(m for m in got["meetings"] if m["stage"] == "town_review")
        if meeting["outcomes"]:
            return
        whistle = {"department": "water", "kind": "tough"}
        items = [
            {"concern": c, "decision": "镇水利站牵头引自来水入组，两组按日轮灌", "lead_department": "water",
             "whistle": whistle if n == 0 else None}
            for n, c in enumerate(got["concerns"])
        ]  # fmt: skip
        self.call("POST", f"/v1/deliberations/{delib}/decisions", "xdp-town", {"items": items})

    def town_concluded(self) -> None:
        delib = self.state["analysis"]
        if self.record(delib)["stage"] != "town_review":
            return
        base = f"/v1/deliberations/{delib}"
        self.call("POST", f"{base}/attendance", "xdp-town", {"attendees": [{"kind": "department", "name": "水利站"}]})
        self.call("POST", f"{base}/minutes", "xdp-town", {"text": "一事一策：引自来水，轮灌；吹哨水利局报到。"})
        self.call("POST", f"{base}/minutes/confirm", "xdp-town")
        self.call("POST", f"{base}/minutes/freeze", "xdp-town")
        self.waiting(delib, "closed")

    # -- running -----------------------------------------------------------------------------------
    def run(self, first: str = STEPS[0], last: str = STEPS[-1], say: Callable[[str], None] = print) -> None:
        for step in STEPS[STEPS.index(first) : STEPS.index(last) + 1]:
            getattr(self, step)()
            say(f"✓ {step}")

    def timeline(self) -> list[dict[str, Any]]:
        start = self.state.get("upstream") or self.state["analysis"]
        items: list[dict[str, Any]] = self.call("GET", f"/v1/deliberations/{start}/timeline", "xdp-village")["items"]
        return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--state", default=".local/water_dispute.json", help="where the record ids are kept")
    parser.add_argument("--from", dest="first", choices=STEPS, default=STEPS[0])
    parser.add_argument("--until", dest="last", choices=STEPS, default=STEPS[-1])
    args = parser.parse_args()
    state = Path(args.state)
    state.parent.mkdir(parents=True, exist_ok=True)
    walk = Walkthrough(args.url, state)
    walk.run(args.first, args.last)
    for entry in walk.timeline():
        print(f"{entry['at']}  {entry['label']}  ({entry.get('by_role') or '工作流'})")


if __name__ == "__main__":
    main()
