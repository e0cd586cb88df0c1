"""Personal data: validation, masking for every response, and audited unmasking.

Phones and ID numbers are shown masked to every role (138****1234, 430182********1234). Reading the clear
value is a separate call that states a purpose and writes an audit event.
"""

from __future__ import annotations

import re

MOBILE = re.compile(r"^1[3-9]\d{9}$")
UNMASK_PURPOSES: dict[str, str] = {
    "contact": "联系当事人 / contact the person",
    "contact_card": "印制明白卡 / print contact cards",
    "visit": "入户走访 / home visit",
    "emergency": "紧急情况 / emergency",
    "verification": "核实身份 / verify identity",
}


def normalise_phone(raw: str) -> str:
    """Digits of a mainland mobile number (spaces, dashes and a +86 prefix are dropped)."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def is_mobile(phone: str) -> bool:
    return bool(MOBILE.fullmatch(phone))


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return None
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_name(name: str | None) -> str | None:
    """张良科 -> 张**: used where a person's full name is not needed (lists of residents)."""
    if not name:
        return None
    return name[0] + "*" * (len(name) - 1)


ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str, names: tuple[str | None, ...] = ()) -> str:
    """Free text as an answer shows it: ID numbers and mobiles in it masked, and each named person's full name
    (the objector of an objection, say) replaced by its masked form. Other names cannot be recognised: say so
    where residents type free text."""
    text = ID_IN_TEXT.sub(lambda m: str(mask_id_number(m.group())), text)
    text = MOBILE_IN_TEXT.sub(lambda m: str(mask_phone(m.group())), text)
    for name in names:
        if name and len(name) > 1:
            text = text.replace(name, str(mask_name(name)))
    return text
