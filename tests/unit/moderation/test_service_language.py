"""The language guess for a report's words: the seven shipped locales, and "can't tell" when unsure."""

from __future__ import annotations

import pytest

from app.core.i18n import SHIPPED_LOCALES
from app.moderation.language import STOPWORDS, detect_language, differs_from_chosen

SAMPLES = {
    "en": "Older lads hang around here after dark and shout at people walking home.",
    "cy": "Mae hi'n dywyll iawn yn y parc yn y nos ac dw i ddim yn teimlo'n saff.",
    "pl": "Wieczorem w parku jest bardzo ciemno i nie czuję się bezpiecznie.",
    "ro": "Noaptea în parc este foarte întuneric și nu mă simt în siguranță.",
    "so": "Habeenkii beerta aad bay u mugdi tahay, dadka waa ay ka baqaan halkan.",
    "ar": "الحديقة مظلمة جدا في الليل ولا أشعر بالأمان هناك.",
    "ur": "رات کو پارک میں بہت اندھیرا ہوتا ہے اور مجھے ڈر لگتا ہے۔",
}


def test_every_shipped_locale_has_words_to_recognise_it_by() -> None:
    assert set(STOPWORDS) == set(SHIPPED_LOCALES)


@pytest.mark.parametrize(("code", "text"), sorted(SAMPLES.items()))
def test_a_sentence_in_each_shipped_language_is_recognised(code: str, text: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", None, "ok", "Help", "07700 900123", "!!!", "Victoria Park"])
def test_too_little_to_go_on_is_honestly_unknown(text: str | None) -> None:
    assert detect_language(text) is None


def test_urdu_and_arabic_are_told_apart_by_their_own_letters_and_words() -> None:
    assert detect_language("یہ جگہ رات کو محفوظ نہیں ہے") == "ur"
    assert detect_language("هذا المكان ليس آمنا في الليل") == "ar"


def test_a_few_english_words_in_polish_do_not_make_it_english() -> None:
    assert (
        detect_language("Na parkingu przy Tesco jest bardzo ciemno i nie czuję się tam dobrze")
        == "pl"
    )


def test_only_a_language_that_differs_from_the_forms_is_reported() -> None:
    assert differs_from_chosen("en", SAMPLES["pl"]) == "pl"
    assert differs_from_chosen("pl", SAMPLES["pl"]) is None
    assert differs_from_chosen("en", "ok", None) is None
    # Both fields count together: a short second answer does not hide the first one's language.
    assert differs_from_chosen("en", SAMPLES["ro"], "lumini") == "ro"
