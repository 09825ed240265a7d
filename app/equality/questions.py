"""The optional equality questions and their answer codes (ONS 2021 Census groups for England and Wales).

Codes are what the database keeps; labels are translated when shown. Every question can be left
unanswered or answered "Prefer not to say", and nothing is ever chosen for the reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.support import LazyProxy

from app.core.i18n import lazy_gettext as _l

PREFER_NOT_TO_SAY = "prefer_not_to_say"
PREFER_NOT_TO_SAY_LABEL = _l("Prefer not to say")

# Ethnic group: the five high-level ONS 2021 groups, each with its detailed options (19 in all).
ETHNIC_GROUPS: dict[str, tuple[LazyProxy, dict[str, LazyProxy]]] = {
    "asian": (
        _l("Asian, Asian British or Asian Welsh"),
        {
            "asian_bangladeshi": _l("Bangladeshi"),
            "asian_chinese": _l("Chinese"),
            "asian_indian": _l("Indian"),
            "asian_pakistani": _l("Pakistani"),
            "asian_other": _l("Any other Asian background"),
        },
    ),
    "black": (
        _l("Black, Black British, Black Welsh, Caribbean or African"),
        {
            "black_african": _l("African"),
            "black_caribbean": _l("Caribbean"),
            "black_other": _l("Any other Black, Black British or Caribbean background"),
        },
    ),
    "mixed": (
        _l("Mixed or Multiple ethnic groups"),
        {
            "mixed_white_asian": _l("White and Asian"),
            "mixed_white_black_african": _l("White and Black African"),
            "mixed_white_black_caribbean": _l("White and Black Caribbean"),
            "mixed_other": _l("Any other Mixed or Multiple ethnic background"),
        },
    ),
    "white": (
        _l("White"),
        {
            "white_british": _l("English, Welsh, Scottish, Northern Irish or British"),
            "white_irish": _l("Irish"),
            "white_gypsy_traveller": _l("Gypsy or Irish Traveller"),
            "white_roma": _l("Roma"),
            "white_other": _l("Any other White background"),
        },
    ),
    "other": (
        _l("Other ethnic group"),
        {
            "other_arab": _l("Arab"),
            "other_any": _l("Any other ethnic group"),
        },
    ),
}

DISABILITY: dict[str, LazyProxy] = {"yes": _l("Yes"), "no": _l("No")}

# ONS 2021 sexual orientation (the Census asks it of people aged 16 or over; no write-in here).
SEXUAL_ORIENTATION: dict[str, LazyProxy] = {
    "straight": _l("Straight or heterosexual"),
    "gay_lesbian": _l("Gay or lesbian"),
    "bisexual": _l("Bisexual"),
    "other": _l("Another sexual orientation"),
}

GENDER: dict[str, LazyProxy] = {
    "girl_woman": _l("A girl or woman"),
    "boy_man": _l("A boy or man"),
    "non_binary": _l("Non-binary"),
    "another_way": _l("In another way"),
}

# Age bands too young to be asked about sexual orientation (as the Census: 16 and over only).
UNDER_16 = frozenset({"under_11", "11_13", "14_15"})


@dataclass(frozen=True)
class Question:
    code: str  # also the form field, with the "eq_" prefix
    title: LazyProxy  # as the register's view names it
    answers: dict[str, LazyProxy]  # every detailed answer code, "Prefer not to say" included
    groups: dict[
        str, LazyProxy
    ]  # what the register's view counts by (for ethnicity, the five groups)

    @property
    def field(self) -> str:
        return f"eq_{self.code}"

    def group_of(self, answer: str) -> str:
        """The group an answer is counted in (an ethnic group's detailed option counts in its group)."""
        if self.code == "ethnicity" and answer != PREFER_NOT_TO_SAY:
            return answer.partition("_")[0]
        return answer


def _with_prefer_not(options: dict[str, LazyProxy]) -> dict[str, LazyProxy]:
    return options | {PREFER_NOT_TO_SAY: PREFER_NOT_TO_SAY_LABEL}


ETHNICITY_ANSWERS: dict[str, LazyProxy] = {
    code: label for _title, options in ETHNIC_GROUPS.values() for code, label in options.items()
}

QUESTIONS: dict[str, Question] = {
    "ethnicity": Question(
        "ethnicity",
        _l("Ethnic group"),
        _with_prefer_not(ETHNICITY_ANSWERS),
        _with_prefer_not({code: title for code, (title, _options) in ETHNIC_GROUPS.items()}),
    ),
    "disability": Question(
        "disability", _l("Disability"), _with_prefer_not(DISABILITY), _with_prefer_not(DISABILITY)
    ),
    "sexual_orientation": Question(
        "sexual_orientation",
        _l("Sexual orientation"),
        _with_prefer_not(SEXUAL_ORIENTATION),
        _with_prefer_not(SEXUAL_ORIENTATION),
    ),
    "gender": Question("gender", _l("Gender"), _with_prefer_not(GENDER), _with_prefer_not(GENDER)),
}
FIELDS: tuple[str, ...] = tuple(q.field for q in QUESTIONS.values())


def answer_label(question: str, answer: str) -> str:
    found = QUESTIONS[question].answers.get(answer) if question in QUESTIONS else None
    return str(found) if found is not None else ""


def check_answers(values: dict[str, object]) -> dict[str, str]:
    """Unknown codes (a tampered or stale form): the field names that need another look."""
    return {
        q.field: "unknown_choice"
        for q in QUESTIONS.values()
        if (raw := str(values.get(q.field) or "")) and raw not in q.answers
    }


def chosen_answers(values: dict[str, object]) -> dict[str, str]:
    """The answers given, question code to answer code; sexual orientation is never kept for under-16s."""
    chosen = {q.code: str(values.get(q.field) or "") for q in QUESTIONS.values()}
    if str(values.get("age_band") or "") in UNDER_16:
        chosen["sexual_orientation"] = ""
    return {
        code: answer
        for code, answer in chosen.items()
        if answer and answer in QUESTIONS[code].answers
    }
