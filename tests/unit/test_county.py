"""The synthetic county has 宁乡's shape, and the same seed always gives the same files."""

from __future__ import annotations

from collections import Counter

from chalicelib.grid import county


def test_the_whole_county_has_the_published_counts() -> None:
    levels: Counter[str] = Counter()
    households = heads = 0
    towns = 0
    for town in county.generate(1.0):
        towns += 1
        for _parent, segment, _name in town.units:
            levels[segment[0]] += 1
        households += len(town.households)
        heads += len(town.appointments)
    assert towns == 29
    assert (levels["V"], levels["P"], levels["Z"], levels["L"]) == (278, 2392, 8656, 35012)
    assert households == 420_000
    assert 42_000 <= heads <= 44_000  # about 43,000 三长


def test_generation_is_deterministic_and_files_have_the_import_headers() -> None:
    first = next(county.generate(0.01, seed=7))
    again = next(county.generate(0.01, seed=7))
    assert first.csv("households") == again.csv("households")
    header = first.csv("units").decode().splitlines()[0]
    assert header == "上级编码,本级编码,名称"
    assert county.spread(10, 3) == [4, 3, 3]
