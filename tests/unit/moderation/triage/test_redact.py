"""Redaction: the published text must never contain an accepted detail."""

from __future__ import annotations

import pytest

from app.moderation.triage import (
    KIND_LABELS,
    PII_KINDS,
    Span,
    apply_redactions,
    find_personal_details,
)

_REPORTS = [
    "They said if I tell anyone they'll come to my house. I live at 14 Carden Road.",
    "A lad called Kyle Ashby keeps waiting for my friend. The car is KX39 TRD. Kyle is 20.",
    "Please help, my ex is outside my flat at 22 Linden Court, GW3 5NB.",
    "The snap is tazzz.x and it keeps messaging my cousin. TAZZZ.X is the account.",
    "My daughter is 14. His number is 07700 900412. Email me on jenny.h77@gmail.com",
    "Dani the youth worker pops in; sessions are on https://example.com/cage-sessions",
    "Got stopped outside St Anselm's High on my way in.",
]


@pytest.mark.parametrize("text", _REPORTS)
def test_redacted_text_never_contains_span_text(text: str) -> None:
    spans = find_personal_details(text)
    assert spans, "the sample should contain personal details"
    redacted = apply_redactions(text, spans)
    for span in spans:
        assert text[span.start : span.end].casefold() not in redacted.casefold()


@pytest.mark.parametrize("kind", PII_KINDS)
def test_each_kind_is_replaced_by_its_neutral_marker(kind: str) -> None:
    text = "before SECRET after"
    assert apply_redactions(text, [Span(kind, 7, 13)]) == f"before {KIND_LABELS[kind]} after"


def test_markers_are_plain_english_words_in_brackets() -> None:
    assert set(KIND_LABELS) == set(PII_KINDS)
    assert all(
        label.startswith("[") and label.endswith("removed]") for label in KIND_LABELS.values()
    )


def test_repeat_of_a_detail_elsewhere_in_the_text_is_also_removed() -> None:
    text = "My friend Amir was in the car. amir is 11."
    redacted = apply_redactions(text, [Span("person_name", 10, 14)])
    assert redacted == "My friend [name removed] was in the car. [name removed] is 11."


def test_detail_inside_a_longer_word_removes_the_whole_word() -> None:
    text = "Ask Jess. Jessica knows too."
    assert apply_redactions(text, [Span("person_name", 4, 8)]) == (
        "Ask [name removed]. [name removed] knows too."
    )


def test_overlapping_and_touching_spans_become_one_marker() -> None:
    text = "at 22 Linden Court GW3 5NB now"
    spans = [Span("street_address", 3, 18), Span("postcode", 16, 26)]  # longest names the marker
    assert apply_redactions(text, spans) == "at [address removed] now"


def test_text_without_spans_is_returned_unchanged() -> None:
    text = "The park is dodgy at night."
    assert apply_redactions(text, []) == text


def test_marker_never_reintroduces_the_removed_text() -> None:
    text = "his handle is removed and that's it"
    span = Span("social_handle", 14, 21)  # the handle is literally "removed"
    redacted = apply_redactions(text, [span])
    assert "removed" not in redacted
    assert redacted == "his handle is [\u2026] and that's it"


def test_span_beyond_the_end_of_the_text_is_clipped() -> None:
    assert (
        apply_redactions("call 07700 900412", [Span("phone", 5, 99)])
        == "call [phone number removed]"
    )
