"""The equality questions: the ONS 2021 options, "Prefer not to say" everywhere, and what is kept."""

from __future__ import annotations

from app.equality import questions


def test_ethnicity_has_the_five_ons_groups_and_their_nineteen_options() -> None:
    assert list(questions.ETHNIC_GROUPS) == ["asian", "black", "mixed", "white", "other"]
    assert sum(len(options) for _title, options in questions.ETHNIC_GROUPS.values()) == 19
    ethnicity = questions.QUESTIONS["ethnicity"]
    assert len(ethnicity.answers) == 20 and questions.PREFER_NOT_TO_SAY in ethnicity.answers
    assert (
        ethnicity.group_of("white_roma") == "white"
        and ethnicity.group_of("mixed_white_asian") == "mixed"
    )
    assert ethnicity.group_of(questions.PREFER_NOT_TO_SAY) == questions.PREFER_NOT_TO_SAY


def test_every_question_can_be_answered_prefer_not_to_say() -> None:
    for question in questions.QUESTIONS.values():
        assert questions.PREFER_NOT_TO_SAY in question.answers
        assert questions.PREFER_NOT_TO_SAY in question.groups
    assert "another_way" in questions.GENDER


def test_only_known_codes_are_kept_and_unknown_ones_are_pointed_out() -> None:
    values = {
        "eq_ethnicity": "asian_indian",
        "eq_disability": "maybe",
        "eq_gender": "",
        "age_band": "18_25",
    }
    assert questions.check_answers(values) == {"eq_disability": "unknown_choice"}
    assert questions.chosen_answers(values) == {"ethnicity": "asian_indian"}


def test_sexual_orientation_is_never_kept_for_under_16s() -> None:
    for band in ("under_11", "11_13", "14_15"):
        assert (
            questions.chosen_answers({"eq_sexual_orientation": "gay_lesbian", "age_band": band})
            == {}
        )
    assert questions.chosen_answers(
        {"eq_sexual_orientation": "gay_lesbian", "age_band": "16_17"}
    ) == {"sexual_orientation": "gay_lesbian"}
    assert questions.chosen_answers({"eq_sexual_orientation": "gay_lesbian"}) == {
        "sexual_orientation": "gay_lesbian"
    }
