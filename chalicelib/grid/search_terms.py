"""Search terms of a unit name: every prefix of the Chinese name and of its pinyin initials.

"鹊山村" gives 鹊, 鹊山, 鹊山村, q, qs, qsc: a search for "qs" or "鹊山" is one key query.
"""

from __future__ import annotations

import functools
import re

MAX_PREFIX = 10
_ASCII = re.compile(r"[a-z0-9]")


@functools.cache
def _pinyin() -> object:
    import pypinyin  # noqa: PLC0415 - 0.3 s to import: only writes of unit names pay it

    return pypinyin


def initials(name: str) -> str:
    """Pinyin initials of a Chinese name: 鹊山村 -> qsc; digits and latin letters are kept, lower-cased."""
    pypinyin = _pinyin()
    letters = pypinyin.lazy_pinyin(name, style=pypinyin.Style.FIRST_LETTER, errors="default")  # type: ignore[attr-defined]
    return "".join(ch for part in letters for ch in part.lower() if _ASCII.match(ch))


def normalise(query: str) -> str:
    return "".join(query.split()).lower()[:MAX_PREFIX]


def terms(name: str) -> list[str]:
    compact = normalise(name)
    letters = initials(name)[:MAX_PREFIX]
    out = {compact[:i] for i in range(1, len(compact) + 1)} | {letters[:i] for i in range(1, len(letters) + 1)}
    return sorted(out)
