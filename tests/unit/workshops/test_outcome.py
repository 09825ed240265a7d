"""A workshop's outcome, called directly: the summary puts the wall's entries first, most dots
first; the CSV carries only the checked wall words, never what was typed before the check, and
cannot run as a spreadsheet formula; looking and downloading are both audited."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from app.core.live import InProcessBroker
from app.workshops import entries, outcome, wall
from app.workshops import service as workshops
from app.workshops.models import VotingStatus
from tests import support_services
from tests.factories import make_area, make_workshop, report_data
from tests.support_services import audit_actions, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _finished_room(session: Session) -> tuple[workshops.StaffIdentity, object, list[int]]:
    """Three entries: two on the wall (the second with two dots, the first with one), one kept off."""
    area = make_area(session)
    staff = identity(session, area, "facilitator")
    workshop = make_workshop(session, area, staff.user)
    phones = [workshops.join(session, area, workshop.join_code, session_minutes=60)[0] for _ in range(2)]
    words = [
        "The underpass is dark after six.",
        "=HYPERLINK(\"http://example.invalid\") the bus stop has no shelter.",
        "Ring 07700 900123, he waits by the shop.",
    ]
    made = [
        entries.add_entry(session, area, phones[0], report_data(description=text, kind="unsafe" if n else "structural"), language="en", live=InProcessBroker())  # type: ignore[arg-type]
        for n, text in enumerate(words)
    ]
    ids = [entry.id for entry in made]
    assert all(ids)
    wall.check_entry(session, staff, workshop, ids[0], show=True, live=InProcessBroker())  # type: ignore[arg-type]
    wall.check_entry(session, staff, workshop, ids[1], show=True, live=InProcessBroker())  # type: ignore[arg-type]
    wall.check_entry(session, staff, workshop, ids[2], show=False, live=InProcessBroker())  # type: ignore[arg-type]
    wall.set_voting(session, staff, workshop, VotingStatus.OPEN, live=InProcessBroker())  # type: ignore[arg-type]
    for who in phones:
        wall.toggle_vote(session, who, ids[1], live=InProcessBroker())  # type: ignore[arg-type]
    wall.toggle_vote(session, phones[0], ids[0], live=InProcessBroker())  # type: ignore[arg-type]
    return staff, workshop, ids  # type: ignore[return-value]


def test_the_summary_puts_the_wall_first_most_dots_first(writer: Session) -> None:
    _staff, workshop, ids = _finished_room(writer)
    result = outcome.summary(writer, workshop, "en")  # type: ignore[arg-type]
    assert [(row.entry.id, row.votes) for row in result.rows] == [(ids[1], 2), (ids[0], 1), (ids[2], 0)]
    assert (result.participants, result.entries) == (2, 3)
    assert result.by_kind == {"unsafe": 2, "structural": 1}
    assert result.rows[0].category_labels  # the area's words for its categories


def test_the_csv_has_only_checked_wall_words_and_no_formulas(writer: Session) -> None:
    staff, workshop, ids = _finished_room(writer)
    body = outcome.export_csv(writer, staff, workshop, "en")  # type: ignore[arg-type]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == list(outcome.CSV_COLUMNS)
    by_entry = {int(row["entry"]): row for row in rows}
    assert by_entry[ids[1]]["words_on_wall"].startswith("'=HYPERLINK")  # read as text, never run
    assert by_entry[ids[1]]["dots"] == "2" and by_entry[ids[1]]["on_wall"] == "yes"
    assert by_entry[ids[2]]["on_wall"] == "no" and by_entry[ids[2]]["words_on_wall"] == ""
    assert "07700" not in body and "waits by the shop" not in body
    assert "workshop.exported" in audit_actions(writer)


def test_looking_at_the_summary_is_audited(writer: Session) -> None:
    staff, workshop, _ids = _finished_room(writer)
    outcome.record_summary_viewed(writer, staff, workshop)  # type: ignore[arg-type]
    assert audit_actions(writer, subject_id=workshop.id)[-1] == "workshop.summary_viewed"  # type: ignore[attr-defined]
