"""居民身份证号码 (GB 11643-1999): 17 digits and a check digit (0-9 or X); digits 7-14 are the birth date,
digit 17 is odd for men and even for women."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from chalicelib.core.clock import china_today

PATTERN = re.compile(r"^\d{17}[\dX]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


@dataclass(frozen=True)
class IdCard:
    number: str
    birth_date: date
    gender: str  # "male" or "female"


def normalise(raw: str) -> str:
    """Spaces dropped, a lower-case x made upper-case."""
    return re.sub(r"\s", "", raw).upper()


def check_digit(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse(raw: str, *, today: date | None = None) -> IdCard:
    """The number's parts, or ValueError with a bilingual reason."""
    number = normalise(raw)
    if not PATTERN.fullmatch(number):
        raise ValueError("须为18位：17位数字加校验位（数字或X）/ must be 17 digits and a check digit (digit or X)")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as e:
        raise ValueError("出生日期无效 / the birth date is not a real date") from e
    if born > (today or china_today()) or born.year < 1900:
        raise ValueError("出生日期不合理 / the birth date is out of range")
    if check_digit(number[:17]) != number[17]:
        raise ValueError("校验位不正确 / wrong check digit")
    return IdCard(number=number, birth_date=born, gender="male" if int(number[16]) % 2 else "female")


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except ValueError:
        return False
    return True
