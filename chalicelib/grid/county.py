"""A deterministic synthetic 宁乡: 29 towns, 278 villages, 2,392 片, 8,656 组, 35,012 邻, about 420,000
households and about 43,000 三长, with plausible Chinese names, as the CSV files cadres would upload.

`load()` sends them through the import path (`ImportService.submit`, the same code as POST /v1/imports),
one grid workbook a town (kind=grid: a ZIP of its units, households and appointments CSV files), so each new
unit is written once with its counters and head. `python -m chalicelib.grid.county --scale 0.1`
loads a tenth of the county; `make seed-county` loads all of it into the local stack's state.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from chalicelib.grid.imports import HEADERS

CITY = ("430182", "宁乡市")
# The towns, townships and subdistricts of 宁乡 (29), with short codes.
TOWNS: tuple[tuple[str, str], ...] = (
    ("YT", "玉潭街道"), ("CJ", "城郊街道"), ("BMQ", "白马桥街道"), ("LJP", "历经铺街道"), ("JZ", "金洲镇"),
    ("DCQ", "大成桥镇"), ("ZF", "资福镇"), ("HC", "黄材镇"), ("HML", "花明楼镇"), ("MTB", "煤炭坝镇"),
    ("SJK", "双江口镇"), ("DL", "道林镇"), ("XDP", "夏铎铺镇"), ("SFP", "双凫铺镇"), ("HLP", "回龙铺镇"),
    ("LLC", "老粮仓镇"), ("LSH", "流沙河镇"), ("XZK", "巷子口镇"), ("LT", "龙田镇"), ("WS", "沩山乡"),
    ("QSQ", "青山桥镇"), ("BT", "坝塘镇"), ("XLQ", "偕乐桥镇"), ("DHT", "东湖塘镇"), ("YJA", "喻家坳乡"),
    ("HS", "横市镇"), ("HT", "灰汤镇"), ("JHP", "菁华铺乡"), ("ST", "沙田乡"),
)  # fmt: skip
TOTALS = {"village": 278, "area": 2392, "group": 8656, "neighbourhood": 35012}
HOUSEHOLDS = 420_000
HEADS_FILLED = 0.93  # about 43,000 of the 46,060 posts of 片长, 组长 and 邻长 are filled

_PLACE = "鹊山石清泉河桃花源龙凤岭湾塘坪冲桥湖田青松柏竹梅溪坝园坡岗铺洲林茶花明楼沙金黄白"
_SURNAMES = (
    "张王李刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏谭"
)
_GIVEN = "良科明文强华春梅秀兰建国志军平安红英伟芳丽敏静勇涛斌杰海波宁湘德福寿康乐欣悦思远"
_TAGS = ("elderly_alone", "low_income", "disabled", "left_behind_child", "left_behind_elderly", "veteran")
_ORDINAL = "一二三四五六七八九十"


def _ordinal(n: int) -> str:
    if n <= 10:
        return _ORDINAL[n - 1]
    tens, ones = divmod(n, 10)
    return (_ORDINAL[tens - 1] if tens > 1 else "") + "十" + (_ORDINAL[ones - 1] if ones else "")


def spread(total: int, parts: int) -> list[int]:
    """`total` split over `parts` as evenly as whole numbers allow (the first ones get the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class TownFiles:
    code: str
    name: str
    units: list[list[str]] = field(default_factory=list)
    households: list[list[str]] = field(default_factory=list)
    appointments: list[list[str]] = field(default_factory=list)

    def csv(self, kind: str) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADERS[kind])
        writer.writerows(getattr(self, kind))
        return out.getvalue().encode("utf-8")

    def grid(self) -> bytes:
        """The town as one grid workbook: a ZIP of units.csv, households.csv and appointments.csv."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for kind in ("units", "households", "appointments"):
                z.writestr(f"{kind}.csv", self.csv(kind))
        return out.getvalue()


def _scaled(scale: float) -> dict[str, int]:
    counts = {level: max(len(TOWNS), round(n * scale)) for level, n in TOTALS.items()}
    counts["households"] = max(counts["neighbourhood"], round(HOUSEHOLDS * scale))
    return counts


def generate(scale: float = 1.0, seed: int = 2026) -> Iterator[TownFiles]:
    """The county, one town at a time; the same scale and seed always give the same files."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data: deterministic, not secret
    counts = _scaled(scale)
    villages = spread(counts["village"], len(TOWNS))
    areas = iter(spread(counts["area"], counts["village"]))
    groups = iter(spread(counts["group"], counts["area"]))
    neighbourhoods = iter(spread(counts["neighbourhood"], counts["group"]))
    households = iter(spread(counts["households"], counts["neighbourhood"]))
    city = CITY[0]
    for (town_seg, town_name), n_villages in zip(TOWNS, villages, strict=True):
        town = TownFiles(f"{city}-{town_seg}", town_name)
        for v in range(1, n_villages + 1):
            village = f"{town.code}-V{v:02d}"
            town.units.append([town.code, f"V{v:02d}", "".join(rng.sample(_PLACE, 2)) + rng.choice("村村村社区")])
            for a in range(1, next(areas) + 1):
                area = f"{village}-P{a:02d}"
                town.units.append([village, f"P{a:02d}", f"第{_ordinal(a)}片"])
                _head(rng, town, area)
                for g in range(1, next(groups) + 1):
                    group = f"{area}-Z{g:02d}"
                    town.units.append([area, f"Z{g:02d}", f"第{_ordinal(g)}组"])
                    _head(rng, town, group)
                    for n in range(1, next(neighbourhoods) + 1):
                        neighbourhood = f"{group}-L{n:02d}"
                        town.units.append([group, f"L{n:02d}", f"第{_ordinal(n)}邻"])
                        _head(rng, town, neighbourhood)
                        for h in range(1, next(households) + 1):
                            town.households.append(_household(rng, neighbourhood, g, h))
        yield town


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "137", "150", "158", "186", "189")) + f"{rng.randrange(10**8):08d}"


def _head(rng: random.Random, town: TownFiles, unit: str) -> None:
    if rng.random() < HEADS_FILLED:
        member = "是" if rng.random() < 0.6 else "否"
        start = f"{rng.choice((2022, 2023, 2024))}-{rng.randint(1, 12):02d}-01"
        town.appointments.append([unit, _person(rng), _phone(rng), member, start])


def _household(rng: random.Random, neighbourhood: str, group: int, number: int) -> list[str]:
    tags = [t for t in _TAGS if rng.random() < 0.04]
    return [
        neighbourhood, f"第{_ordinal(group)}组{number}号", _person(rng), str(rng.randint(1, 7)),
        _phone(rng) if rng.random() < 0.9 else "", "、".join(tags), "",
    ]  # fmt: skip


def city_unit_rows() -> list[list[str]]:
    """The towns themselves, under the city (the city unit exists already)."""
    return [[CITY[0], seg, name] for seg, name in TOWNS]


@dataclass
class LoadReport:
    files: int = 0
    rows: int = 0
    written: int = 0
    refused: list[str] = field(default_factory=list)


def load(scale: float = 1.0, seed: int = 2026) -> LoadReport:
    """Load the county through the import path as the city administrator (tables and the city unit must
    exist, as after the demo seed). Existing towns (the demo's 大成桥镇 and 资福镇) are skipped."""
    from chalicelib.core import jobs  # noqa: PLC0415 - the loader is a CLI, not a request path
    from chalicelib.core.audit import Actor  # noqa: PLC0415
    from chalicelib.grid.imports import ImportService  # noqa: PLC0415
    from chalicelib.localstack.seed import DEMO_ACCOUNTS  # noqa: PLC0415

    admin = next(a for a in DEMO_ACCOUNTS if a.role == "city_admin").principal()
    actor = Actor(admin.sub, admin.role, admin.scope, "seed-county")
    service = ImportService()
    report = LoadReport()

    def submit(kind: str, data: bytes, mode: str = "all_or_nothing") -> None:
        media = "application/zip" if kind == "grid" else "text/csv"
        result = service.submit(admin, actor, kind=kind, mode=mode, data=data, media=media)
        report.files += 1
        if result.status == 202:
            jobs.drain()
        # a queued file's counts are read once its job ran; a written or replayed one answers with them
        body = service.get(admin, result.body["id"]).model_dump() if result.status == 202 else result.body
        report.rows += int(body.get("rows_total") or 0)
        report.written += int(body.get("written") or 0)
        if result.status == 422:
            report.refused.append(f"{kind}: {body.get('errors', [])[:3]}")

    towns = io.StringIO()
    csv.writer(towns).writerows([HEADERS["units"], *city_unit_rows()])
    submit("units", towns.getvalue().encode(), mode="valid_rows_only")
    for town in generate(scale, seed):
        submit("grid", town.grid())
    return report


def main() -> None:
    import argparse  # noqa: PLC0415

    parser = argparse.ArgumentParser(description="Load a synthetic 宁乡 into the local stack's state")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the whole county")
    parser.add_argument("--state-dir", default=".local")
    args = parser.parse_args()

    from pathlib import Path  # noqa: PLC0415

    from chalicelib.localstack.stack import LocalStack  # noqa: PLC0415

    # saved once at the end: a periodic save would scan the growing tables every two minutes
    stack = LocalStack(state_dir=Path(args.state_dir), port=0, moto_port=0, serve_http=False, save_interval=86400)
    stack.start()
    try:
        report = load(args.scale)
        print(f"county loaded: {report.files} files, {report.rows} rows, {report.written} written")
        for refused in report.refused:
            print("  refused:", refused)
    finally:
        stack.stop()
    print(f"state saved to {args.state_dir}")


if __name__ == "__main__":
    main()
