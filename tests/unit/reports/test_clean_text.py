from __future__ import annotations

from sqlmodel import Session

from app.reports.schemas import ReportCreate, clean_text
from tests.factories import make_area, make_context


def test_direction_overrides_and_isolates_are_never_stored() -> None:
    pasted = "park \u202egate\u202c by the \u2066shop\u2069, \u202aeast\u202b \u202d"
    assert clean_text(pasted) == "park gate by the shop, east"


def test_marks_that_only_hint_direction_stay() -> None:
    # LRM/RLM shape how mixed Arabic and numbers read, and cannot reorder what is stored.
    assert clean_text("\u0627\u0644\u062d\u062f\u064a\u0642\u0629 \u200f12") == "\u0627\u0644\u062d\u062f\u064a\u0642\u0629 \u200f12"


def test_a_report_description_loses_overrides() -> None:
    report = ReportCreate.model_validate({"kind": "unsafe", "description": "the \u202eunderpass\u202c after dark", "submission_token": "t" * 24, "location_text": "\u2066High Street\u2069"})
    assert report.location_text == "High Street"
    assert report.description == "the underpass after dark"


def test_no_row_stores_a_direction_override_whoever_wrote_it(session: Session) -> None:
    # Staff-written text (an action's title, a context's notes) goes through no report form.
    area = make_area(session)
    context = make_context(session, area, "Canal \u202eklaW\u202c")
    context.guardianship = "Boat \u2066owners\u2069 look out"
    session.add(context)
    session.commit()
    session.refresh(context)
    assert context.name == "Canal klaW" and context.guardianship == "Boat owners look out"
