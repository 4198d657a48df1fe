"""What people type, normalised or refused."""

import pytest

from services.errors import InvalidName, InvalidPhone
from services.validation import (
    mask_phone,
    normalize_mobile,
    normalize_real_name,
    normalize_shared_phone,
    normalize_team_name,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("张伟", "张伟"),
        ("  张  伟 ", "张伟"),
        ("Zhang  Wei", "Zhang Wei"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("O'Brien", "O'Brien"),
        ("Ｚｈａｎｇ Ｗｅｉ", "Zhang Wei"),  # full-width letters from a Chinese keyboard
        ("José María", "José María"),
        ("欧阳娜娜", "欧阳娜娜"),
    ],
)
def test_real_names(typed, stored):
    assert normalize_real_name(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["张", "x" * 21, "张" * 21, "x" * 5000, "张伟1", "😀😀", "--", "李-", "", "<b>x</b>", "Иван"],
)
def test_not_real_names(typed):
    with pytest.raises(InvalidName):
        normalize_real_name(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_mobile_numbers(typed, stored):
    assert normalize_mobile(typed) == stored


@pytest.mark.parametrize(
    "typed", ["12345", "23812345678", "1381234567", "138123456789", "+4477009001234", "abc", ""]
)
def test_not_mobile_numbers(typed):
    with pytest.raises(InvalidPhone):
        normalize_mobile(typed)


def test_shared_contacts():
    assert normalize_shared_phone("8613812345678") == "13812345678"
    assert normalize_shared_phone("+86 13812345678") == "13812345678"
    assert normalize_shared_phone("447700900123") == "+447700900123"
    with pytest.raises(InvalidPhone):
        normalize_shared_phone("12")


def test_masking():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("幸福 助老服务队", "幸福助老服务队"),
        (" Team  A ", "Team A"),
        ("东风 Team 1队", "东风 Team 1队"),
    ],
)
def test_team_names(typed, stored):
    assert normalize_team_name(typed) == stored
