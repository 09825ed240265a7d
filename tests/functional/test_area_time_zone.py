"""Times in the area's time zone, the admin setting for it, and status-history notes that are put
into words in the reader's language (migration 0015 turns the old English sentences into codes)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, create_engine, select

from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.audit.models import AuditEvent
from app.core import migrate
from app.register import panel, regrouping
from app.register.models import Context, ContextStatusChange
from app.reports.models import Report
from tests.factories import make_area, make_context, make_published, make_staff
from tests.support import csrf_from, sign_in

# Half past eleven at night, UTC, in British Summer Time: half past midnight the next day in London.
LATE_IN_SUMMER = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)


def _words(page: str) -> str:
    """What a person reads: the page without its tags (a <time> keeps UTC in its attribute, for machines)."""
    return re.sub(r"<[^>]*>", "", page)


def _late_report(session: Session, area: Area) -> tuple[Context, Report]:
    underpass = make_context(session, area, "Station underpass")
    report = make_published(session, area, underpass, created_at=LATE_IN_SUMMER)
    return underpass, report


def test_a_late_summer_report_shows_the_next_day_in_london(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    assert area.time_zone == "Europe/London"
    underpass, report = _late_report(session, area)
    sign_in(client, make_staff(session, area, "moderator", "statutory").email)

    context_page = client.get(f"/staff/register/contexts/{underpass.id}").text
    assert '<time datetime="2026-07-02">2 Jul 2026</time>' in context_page
    assert "1 Jul 2026" not in context_page

    entry = _words(client.get(f"/staff/moderation/{report.id}").text)
    assert "02/07/2026, 00:30" in entry and "23:30" not in entry

    listing = client.get("/staff/register").text
    assert "2 Jul 2026" in listing

    welsh = client.get(f"/staff/register/contexts/{underpass.id}?lang=cy").text
    assert "2 Gorff 2026" in welsh


def test_an_area_set_to_utc_shows_the_same_day(client: TestClient, session: Session) -> None:
    area = make_area(session, time_zone="UTC")
    underpass, report = _late_report(session, area)
    sign_in(client, make_staff(session, area, "moderator", "statutory").email)

    context_page = client.get(f"/staff/register/contexts/{underpass.id}").text
    assert '<time datetime="2026-07-01">1 Jul 2026</time>' in context_page
    entry = _words(client.get(f"/staff/moderation/{report.id}").text)
    assert "01/07/2026, 23:30" in entry and "00:30" not in entry


def test_staff_of_another_area_see_their_own_areas_clock(
    client: TestClient, session: Session
) -> None:
    london = make_area(session)
    _late_report(session, london)
    new_york = make_area(session, "riverside", time_zone="America/New_York")
    elsewhere = make_context(session, new_york, "Harbour steps")
    make_published(session, new_york, elsewhere, created_at=LATE_IN_SUMMER)
    sign_in(client, make_staff(session, new_york, "statutory").email)
    page = client.get(f"/staff/register/contexts/{elsewhere.id}").text
    assert '<time datetime="2026-07-01">1 Jul 2026</time>' in page  # 19:30 in New York


def _settings_form(token: str, **values: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "safeguarding_emails": "duty@brackenford.example",
        "escalation_emails": "manager@brackenford.example",
        "urgent_response_minutes": "20",
        "review_hours": "36",
    } | values


def test_the_admin_sets_the_time_zone_and_a_wrong_name_is_refused_keeping_the_form(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/admin/safeguarding")
    assert 'value="Europe/London"' in page.text and '<option value="Europe/Dublin">' in page.text
    token = csrf_from(page.text)

    refused = client.post(
        "/staff/admin/safeguarding",
        data=_settings_form(
            token, time_zone="Mars/Olympus_Mons", escalation_emails="oncall@brackenford.example"
        ),
    )
    assert refused.status_code == 400
    assert (
        "Enter a time zone from the list" in refused.text and 'id="time_zone-error"' in refused.text
    )
    for typed in (
        'value="Mars/Olympus_Mons"',
        "oncall@brackenford.example",
        'value="20"',
        'value="36"',
    ):
        assert typed in refused.text
    session.expire_all()
    unchanged = session.get(Area, area.id)
    assert unchanged is not None and (unchanged.time_zone, unchanged.escalation_emails) == (
        "Europe/London",
        "",
    )

    saved = client.post(
        "/staff/admin/safeguarding", data=_settings_form(token, time_zone=" europe/dublin ")
    )
    assert saved.status_code == 303
    session.expire_all()
    changed = session.get(Area, area.id)
    assert (
        changed is not None
        and changed.time_zone == "Europe/Dublin"
        and changed.urgent_response_minutes == 20
    )
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "area.safeguarding_settings_changed")
    ).one()
    assert "time_zone" in event.detail["changed"] and event.detail["time_zone"] == "Europe/Dublin"

    # Left blank, the area goes back to the default.
    assert (
        client.post(
            "/staff/admin/safeguarding", data=_settings_form(token, time_zone="")
        ).status_code
        == 303
    )
    session.expire_all()
    reset = session.get(Area, area.id)
    assert reset is not None and reset.time_zone == "Europe/London"


def test_only_admins_change_the_time_zone(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "moderator").email)
    assert client.get("/staff/admin/safeguarding").status_code == 403


# --- Status-history notes ----------------------------------------------------------------------


def test_a_flag_note_is_stored_as_a_code_and_shown_in_welsh(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    sign_in(client, make_staff(session, area, "statutory").email)
    token = csrf_from(client.get(f"/staff/register/contexts/{park.id}").text)
    assert (
        client.post(
            f"/staff/register/contexts/{park.id}/flag", data={"csrf_token": token, "reason": ""}
        ).status_code
        == 303
    )

    change = session.exec(
        select(ContextStatusChange).where(ContextStatusChange.context_id == park.id)
    ).one()
    assert (change.note_code, change.note_params, change.note) == ("flagged_for_panel", {}, "")
    english = client.get(f"/staff/register/contexts/{park.id}").text
    assert "(Flagged for the next panel)" in english
    welsh = html.unescape(client.get(f"/staff/register/contexts/{park.id}?lang=cy").text)
    assert "newidiodd y statws i" in welsh and "(Wedi'i nodi ar gyfer y panel nesaf)" in welsh


def test_merge_and_panel_notes_keep_their_values_and_a_typed_note_stays_as_typed(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    staff_user = make_staff(session, area, "statutory")
    staff = StaffIdentity(user=staff_user, area=area, roles=frozenset({"statutory"}), session_id=0)
    park, duplicate = (
        make_context(session, area, "Victoria Park"),
        make_context(session, area, "Vic Park"),
    )
    panel.record_decision(
        session,
        staff,
        park,
        panel.DecisionInput(
            panel_date=date(2026, 7, 1),
            decision="Youth work on Fridays.",
            to_status="plan_in_place",
        ),
    )
    regrouping.merge_contexts(session, staff, duplicate, park)
    session.commit()

    notes = {c.context_id: c for c in session.exec(select(ContextStatusChange)).all()}
    assert (notes[park.id].note_code, notes[park.id].note_params) == (
        "panel_decision",
        {"date": "2026-07-01"},
    )
    assert (notes[duplicate.id].note_code, notes[duplicate.id].note_params) == (
        "merged_into",
        {"name": "Victoria Park"},
    )

    sign_in(client, staff_user.email)
    assert (
        "(Panel decision of 1 Jul 2026)" in client.get(f"/staff/register/contexts/{park.id}").text
    )
    assert (
        "1 Gorff 2026" in client.get(f"/staff/register/contexts/{park.id}?lang=cy").text
    )  # the date in Welsh
    assert (
        "(Merged into Victoria Park)" in client.get(f"/staff/register/contexts/{duplicate.id}").text
    )

    token = csrf_from(client.get(f"/staff/register/contexts/{park.id}").text)
    client.post(
        f"/staff/register/contexts/{park.id}/status",
        data={
            "csrf_token": token,
            "status": "reviewing",
            "note": "Merged into the plan, see minutes",
        },
    )
    typed = session.exec(
        select(ContextStatusChange).where(ContextStatusChange.to_status == "reviewing")
    ).one()
    assert (typed.note, typed.note_code) == ("Merged into the plan, see minutes", "")


def test_migration_0015_turns_the_old_english_notes_into_codes_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'notes.db'}"
    migrate.upgrade(url, "0014")
    engine = create_engine(url)
    rows: list[tuple[str, str]] = [
        ("on_panel_agenda", "Flagged for the next panel"),
        ("closed", "Merged into Victoria Park"),
        ("plan_in_place", "Panel decision 2026-07-01"),
        (
            "watching",
            "Merged into the plan, see minutes",
        ),  # a person's own words: not closed by a merge
        ("assessing", "Rising reports after dark"),
    ]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO area (slug, name, default_locale, locales, min_cell_count, retention_days, h3_resolution,"
                " safeguarding_emails, urgent_response_minutes, review_hours, escalation_emails, min_lat, min_lng, max_lat, max_lng,"
                " help_contacts, created_at) VALUES ('a', 'A', 'en', 'en', 5, 90, 8, '', 15, 24, '', 0, 0, 1, 1, '[]', '2026-01-01')"
            )
        )
        columns = _context_columns(connection)
        # The column names come from the table itself (PRAGMA table_info), the values are bound.
        insert = f"INSERT INTO context ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"  # noqa: S608
        connection.execute(text(insert), _context_values(columns))
        for to_status, note in rows:
            connection.execute(
                text(
                    "INSERT INTO context_status_change (context_id, to_status, note, created_at) VALUES (1, :to_status, :note, '2026-07-01')"
                ),
                {"to_status": to_status, "note": note},
            )
    engine.dispose()

    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT note, note_code, note_params FROM context_status_change ORDER BY id")
        ).all()
        zone = connection.execute(text("SELECT time_zone FROM area")).scalar_one()
    engine.dispose()
    assert zone == "Europe/London"
    assert [(note, code, _json(params)) for note, code, params in found] == [
        ("", "flagged_for_panel", {}),
        ("", "merged_into", {"name": "Victoria Park"}),
        ("", "panel_decision", {"date": "2026-07-01"}),
        ("Merged into the plan, see minutes", "", {}),
        ("Rising reports after dark", "", {}),
    ]

    migrate.downgrade(url, "0014")
    engine = create_engine(url)
    with engine.connect() as connection:
        notes = [
            row[0]
            for row in connection.execute(
                text("SELECT note FROM context_status_change ORDER BY id")
            ).all()
        ]
    engine.dispose()
    assert notes == [note for _status, note in rows]


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


def _context_columns(connection: Any) -> list[str]:
    """The context table's NOT NULL columns without defaults at 0014, so the insert fits that schema."""
    info = connection.execute(text("PRAGMA table_info(context)")).all()
    return [row[1] for row in info if row[3] and row[4] is None and row[1] != "id"]


def _context_values(columns: list[str]) -> dict[str, Any]:
    known: dict[str, Any] = {
        "area_id": 1,
        "name": "Victoria Park",
        "kind": "place",
        "status": "new",
        "created_at": "2026-01-01",
        "updated_at": "2026-01-01",
    }
    return {
        column: known.get(
            column,
            0
            if column.endswith(("_count", "_id"))
            or column.startswith(("flagged", "unsafe", "safe"))
            else "",
        )
        for column in columns
    }
