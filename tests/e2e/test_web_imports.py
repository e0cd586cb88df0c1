"""批量导入 (bulk imports) in a real browser: node's test runner drives Debian's Chromium (playwright-core) through
web/tests/imports.test.mjs against a local stack of this module's own. The village cadre downloads the grid
workbook's template from the page (checked here with openpyxl: sheets 单元, 住户, 任职), uploads a grid workbook
built here (a new 组 under 鹊山村第一片 with a 邻, a household and both heads) and sees the written counts (the
unit then checked over the API), uploads a workbook with a bad row and sees the error table naming the sheet, row
and column with nothing written; axe-core at 360 px, screenshots in test-artifacts/web-imports/."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from chalicelib.grid.imports import HEADERS
from tests.e2e.stack_process import PROJECT_DIR, StackProcess
from tests.e2e.test_web_browser import CHROMIUM, _node, _run

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_DIR / "test-artifacts" / "web-imports"
AREA = "430182-DCQ-QS-P01"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    running = StackProcess(tmp_path_factory.mktemp("e2e-imports") / "state").start()
    try:
        yield running
        running.assert_stopped_cleanly(running.stop())
    finally:
        running.kill()  # no-op after a clean stop


def _grid_workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    """An .xlsx with the grid workbook's sheets (单元 units, 住户 households, 任职 appointments) under their headers."""
    book = Workbook()
    for blank in list(book.worksheets):
        book.remove(blank)
    for title, kind in (("单元", "units"), ("住户", "households"), ("任职", "appointments")):
        sheet = book.create_sheet(title)
        sheet.append(list(HEADERS[kind]))
        for row in sheets.get(title, []):
            sheet.append(row)
    book.save(path)
    return path


def test_import_logic_under_node() -> None:
    """The upload's content type from the file name, the accept list, the kinds offered, what an answer means."""
    done = _run(_node(), "tests/imports_logic.test.mjs")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "ℹ fail 0" in done.stdout and "ℹ pass 4" in done.stdout, done.stdout[-3000:]


def test_import_page_in_chromium(stack: StackProcess, tmp_path: Path) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    segment = "Z" + secrets.token_hex(2).upper()  # a new 组 of this run
    group, leaf = f"{AREA}-{segment}", f"{AREA}-{segment}-L01"
    good = _grid_workbook(
        tmp_path / "鹊山村新组.xlsx",
        {
            "单元": [[AREA, segment, "第十组"], [group, "L01", "第一邻"]],
            "住户": [[leaf, "鹊山村第十组1号", "张良科", "4", "13800001234", "", ""]],
            "任职": [
                [group, "李春华", "13900005678", "是", "2024-03-01"],
                [leaf, "周秀英", "13900005679", "否", "2024-03-01"],
            ],
        },
    )
    bad_segment = "Z" + secrets.token_hex(2).upper()
    bad = _grid_workbook(
        tmp_path / "有误的网格.xlsx",
        {
            "单元": [[AREA, bad_segment, "第十一组"], [f"{AREA}-{bad_segment}", "L01", "第一邻"]],
            "住户": [
                [f"{AREA}-{bad_segment}-L01", "鹊山村第十一组1号", "王建军", "3", "", "", ""],
                [f"{AREA}-{bad_segment}-L01", "鹊山村第十一组2号", "赵红", "很多", "", "", ""],  # 常住人口 not a number
            ],
        },
    )
    template = ARTIFACTS / "template-grid.xlsx"
    template.unlink(missing_ok=True)
    done = _run(
        _node(),
        "tests/imports.test.mjs",
        env={
            "BASE_URL": stack.base_url,
            "ARTIFACT_DIR": str(ARTIFACTS),
            "CHROMIUM": str(CHROMIUM),
            "GRID_XLSX": str(good),
            "BAD_XLSX": str(bad),
            "GROUP": group,
            "LEAF": leaf,
            "BAD_GROUP": f"{AREA}-{bad_segment}",
            "TEMPLATE_OUT": str(template),
        },
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-3000:] + stack.output()[-2000:]
    assert "ℹ fail 0" in done.stdout and "ℹ skipped 0" in done.stdout and "ℹ pass 4" in done.stdout, done.stdout[-3000:]
    # the template the page saved is a real workbook with the grid's sheets and their headers
    book = load_workbook(template, read_only=True)
    assert book.sheetnames[:3] == ["单元", "住户", "任职"], book.sheetnames
    header = next(book["住户"].iter_rows(max_row=1, values_only=True))
    assert list(header) == list(HEADERS["households"])
    for name in ("i01-template", "i02-written", "i03-errors"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 0, name
