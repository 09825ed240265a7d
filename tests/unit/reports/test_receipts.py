from __future__ import annotations

from app.reports.schemas import has_words
from app.reports.service import RECEIPT_ALPHABET, new_receipt_code, normalise_receipt_code


def test_receipt_codes_avoid_letters_and_digits_that_look_alike() -> None:
    for _ in range(200):
        code = new_receipt_code()
        assert len(code) == 14 and code.count("-") == 2
        assert not set(code.replace("-", "")) - set(RECEIPT_ALPHABET)
    assert not set("0O1IL5S2Z8B") & set(RECEIPT_ALPHABET)


def test_receipt_codes_typed_loosely_are_understood() -> None:
    assert normalise_receipt_code(" acde fghj-kmnp ") == "ACDE-FGHJ-KMNP"


def test_words_in_any_script_count_but_emoji_alone_do_not() -> None:
    assert has_words("dark") and has_words("تحرش") and has_words("12")
    assert not has_words("😡😡") and not has_words("!!! ...")
