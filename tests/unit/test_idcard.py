"""居民身份证号码 checks (GB 11643-1999), the data key setting and ID sealing: no AWS needed."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from pydantic import ValidationError

from chalicelib.core.settings import SettingsError, get_data_key, reset_settings
from chalicelib.members import idcard
from chalicelib.members.schemas import MemberIn
from chalicelib.members.store import id_hash, seal, unseal

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(first17: str) -> str:
    """The check digit computed here independently of the module under test."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize(
    "first17",
    ["43018219850612123", "43018220000229004", "11010119900307001", "43018219700101999", "43012419991231777"],
)
def test_computed_numbers_are_valid_and_give_birth_date_and_gender(first17: str) -> None:
    number = with_check(first17)
    card = idcard.parse(number)
    assert card.number == number
    assert card.birth_date == date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    assert card.gender == ("male" if int(first17[16]) % 2 else "female")


def test_a_known_good_number_with_an_x_check_digit() -> None:
    card = idcard.parse("11010519491231002X")
    assert (card.birth_date, card.gender) == (date(1949, 12, 31), "female")
    assert idcard.parse("110105 19491231 002x").number == "11010519491231002X"  # spaces and a small x


def test_every_wrong_check_digit_is_refused() -> None:
    number = with_check("43018219850612123")
    for digit in "0123456789X":
        if digit != number[-1]:
            with pytest.raises(ValueError, match="check digit"):
                idcard.parse(number[:17] + digit)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("4301821985061212", "17 digits"),  # too short
        ("43018219850612123X1", "17 digits"),  # too long
        ("4301821985061212A3", "17 digits"),  # a letter inside
        ("43018219850612123Y", "17 digits"),  # a check character other than X
        (with_check("43018219850230123"), "not a real date"),  # 30 February
        (with_check("43018219851301123"), "not a real date"),  # month 13
        (with_check("43018219010229123"), "not a real date"),  # 1901 is no leap year
        (with_check("43018221000101123"), "out of range"),  # born in 2100
        (with_check("43018218991231123"), "out of range"),
    ],
)
def test_malformed_numbers_and_impossible_birth_dates_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        idcard.parse(raw)
    assert not idcard.is_valid(raw)


def test_a_birth_date_in_the_future_is_refused() -> None:
    number = with_check("43018220300101123")
    assert idcard.parse(number, today=date(2030, 1, 1)).birth_date == date(2030, 1, 1)
    with pytest.raises(ValueError, match="out of range"):
        idcard.parse(number, today=date(2029, 12, 31))


def test_the_member_form_reports_a_bad_check_digit_on_id_number() -> None:
    number = with_check("43018219850612123")
    wrong = number[:17] + ("0" if number[-1] != "0" else "1")
    body = {
        "name": "胡明", "gender": "male", "id_number": wrong, "phone": "13807311234", "branch": "鹊山村党支部",
        "status": "full", "join_date": "2010-07-01", "household": "h1",
    }  # fmt: skip
    with pytest.raises(ValidationError) as info:
        MemberIn.model_validate(body)
    assert [e["loc"] for e in info.value.errors()] == [("id_number",)]
    assert MemberIn.model_validate(body | {"id_number": number}).id_number == number


def test_the_data_key_is_required_outside_local_and_test(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATA_KEY", raising=False)
    assert len(get_data_key()) == 32  # the fixed development key of the test stage
    monkeypatch.setenv("STAGE", "prod")
    reset_settings()
    with pytest.raises(SettingsError, match="DATA_KEY"):
        get_data_key()
    monkeypatch.setenv("DATA_KEY", "not base64!")
    reset_settings()
    with pytest.raises(SettingsError, match="base64"):
        get_data_key()
    monkeypatch.setenv("DATA_KEY", base64.b64encode(b"short").decode())
    reset_settings()
    with pytest.raises(SettingsError, match="32 bytes"):
        get_data_key()
    key = bytes(range(32))
    monkeypatch.setenv("DATA_KEY", base64.b64encode(key).decode())
    reset_settings()
    assert get_data_key() == key


def test_sealing_round_trips_and_the_hash_is_keyed(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    number = "11010519491231002X"
    sealed = seal(number)
    assert number not in sealed and sealed != seal(number)  # a fresh nonce each time
    assert unseal(sealed) == number
    first = id_hash(number)
    assert first == id_hash(number) and len(first) == 64
    monkeypatch.setenv("DATA_KEY", base64.b64encode(bytes(32)).decode())
    reset_settings()
    assert id_hash(number) != first
