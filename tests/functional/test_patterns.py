"""Patterns across contexts, end to end: the weekly run stores what it finds once and tells the
statutory team through the outbox (names and numbers, never words), the CLI runs it, and the
patterns page shows the evidence to the area's own register readers only.

Entries are planted straight into the register with the dates the test needs; the clock is passed in.
"""

from __future__ import annotations

import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import app as cli
from app.core.config import Settings
from app.core.db import Database
from app.core.mail import SmtpMailer
from app.core.types import utcnow
from app.moderation import outbox
from app.moderation.models import OutboxMessage, OutboxPurpose, OutboxState
from app.register.patterns.models import Pattern, PatternRun, PatternSettings
from app.register.patterns.runs import run_patterns, week_ending
from app.reports.models import Report
from tests.factories import make_area, make_context, make_staff
from tests.smtp import SmtpServer
from tests.support import csrf_from, sign_in

BASE = "http://testserver"
NOW = datetime(
    2026, 11, 4, 9, 30, tzinfo=UTC
)  # a Wednesday: the run looks at the weeks up to Monday 2 November
WORDS = "Older lads wait by the shelter and take our phones"
_codes = itertools.count(1)
runner = CliRunner()


def _plant(
    session: Session,
    area: Any,
    context: Any,
    when: datetime,
    *,
    kind: str = "unsafe",
    **fields: Any,
) -> None:
    number = next(_codes)
    session.add(
        Report(
            area_id=area.id,
            receipt_code=f"PAT-{number:06d}",
            submission_token=f"pattern-test-{number}",
            kind=kind,
            status="published",
            context_id=context.id,
            created_at=when,
            description=WORDS,
            public_description=WORDS,
            moderated_at=when,
            categories=fields.get("categories", "followed_harassed"),
            time_bands=fields.get("time_bands", "evening"),
            days=fields.get("days", ""),
        )
    )


def _rising(
    session: Session, area: Any, context: Any, week: datetime, *, recent_weeks: int = 4
) -> None:
    """One entry every other week for the 12 weeks before, then four a week in the recent weeks."""
    start = week - timedelta(weeks=16)
    for w in range(0, 12, 2):
        _plant(session, area, context, start + timedelta(weeks=w, days=1))
    for w in range(16 - recent_weeks, 16):
        for d in range(4):
            _plant(session, area, context, start + timedelta(weeks=w, days=d, hours=17))
    session.commit()


def _steady(session: Session, area: Any, context: Any, week: datetime) -> None:
    start = week - timedelta(weeks=16)
    for w in range(16):
        _plant(
            session,
            area,
            context,
            start + timedelta(weeks=w, days=2),
            categories="poor_lighting",
            time_bands="afternoon",
        )
    session.commit()


def _monday(now: datetime) -> datetime:
    return datetime.combine(week_ending(now), datetime.min.time(), tzinfo=UTC)


def _town(session: Session, slug: str = "brackenford", now: datetime = NOW) -> dict[str, Any]:
    area = make_area(session, slug)
    bus = make_context(session, area, f"{slug.title()} bus station", neighbourhood="Town centre")
    park = make_context(session, area, f"{slug.title()} Victoria Park", neighbourhood="Eastside")
    _rising(session, area, bus, _monday(now))
    _steady(session, area, park, _monday(now))
    statutory = make_staff(session, area, "statutory", email=f"panel@{slug}.example")
    moderator = make_staff(session, area, "moderator", email=f"youthwork@{slug}.example")
    return {"area": area, "bus": bus, "park": park, "statutory": statutory, "moderator": moderator}


def _messages(session: Session) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == OutboxPurpose.PATTERN)
            .order_by(col(OutboxMessage.id))
        ).all()
    )


# --- The run ---------------------------------------------------------------------------------


def test_a_run_finds_the_rising_context_and_emails_the_statutory_team_once(
    db: Database, session: Session
) -> None:
    town = _town(session)
    other = make_area(session, "northwick")
    make_staff(session, other, "statutory", email="panel@northwick.example")

    first = run_patterns(db, base_url=BASE, now=NOW)
    assert [(r.slug, len(r.new), r.already_done) for r in first] == [
        ("brackenford", 1, False),
        ("northwick", 0, False),
    ]
    again = run_patterns(db, base_url=BASE, now=NOW + timedelta(hours=3))
    assert [(r.slug, len(r.new), r.already_done) for r in again] == [
        ("brackenford", 0, True),
        ("northwick", 0, True),
    ]

    pattern = session.exec(select(Pattern)).one()
    assert (pattern.kind, pattern.subject, pattern.context_ids) == (
        "rising",
        f"context:{town['bus'].id}",
        [town["bus"].id],
    )
    assert (
        pattern.first_week == pattern.last_week == NOW.date().replace(day=2)
        and pattern.ended_week is None
    )
    assert (
        pattern.evidence["recent"],
        pattern.evidence["baseline"],
        pattern.evidence["weekly"][-4:],
    ) == (16, 6, [4, 4, 4, 4])
    assert len(session.exec(select(PatternRun)).all()) == 2

    [message] = _messages(session)
    assert (
        message.recipients == "panel@brackenford.example"
    )  # the statutory team, not the moderators, not Northwick
    assert message.state == OutboxState.QUEUED and pattern.message_id == message.id
    assert "Brackenford bus station" in message.body and "16 unsafe entries" in message.body
    assert f"{BASE}/staff/register/patterns" in message.body
    assert "1 new pattern" in message.subject
    assert WORDS not in message.body and WORDS not in message.subject
    assert "Victoria Park" not in message.body
    audit_actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert audit_actions.count("patterns.run") == 2 and "outbox.queued" in audit_actions


def test_next_week_the_same_pattern_is_still_rising_and_is_not_emailed_again(
    db: Database, session: Session
) -> None:
    area = make_area(session)
    bus = make_context(session, area, "Bus station")
    make_staff(session, area, "statutory")
    later = NOW + timedelta(weeks=1)
    _rising(
        session, area, bus, _monday(later), recent_weeks=5
    )  # still four a week in the window a week on

    assert len(run_patterns(db, base_url=BASE, now=NOW)[0].new) == 1
    second = run_patterns(db, base_url=BASE, now=later)[0]
    assert (len(second.new), len(second.continuing), second.ended) == (0, 1, 0)
    pattern = session.exec(select(Pattern)).one()
    assert (pattern.weeks_seen, pattern.first_week, pattern.last_week) == (
        2,
        week_ending(NOW),
        week_ending(later),
    )
    assert len(_messages(session)) == 1

    # Months later nothing new has come in: the pattern is past, kept with its evidence.
    quiet = run_patterns(db, base_url=BASE, now=later + timedelta(weeks=6))[0]
    assert quiet.ended == 1
    session.rollback()  # end the test session's snapshot, to read what the run committed
    session.refresh(pattern)
    assert (
        pattern.ended_week == week_ending(later + timedelta(weeks=6))
        and pattern.evidence["recent"] == 16
    )


def test_a_small_rise_below_k_is_never_reported(db: Database, session: Session) -> None:
    area = make_area(session, min_cell_count=6)
    session.add(PatternSettings(area_id=area.id, min_count=3, significance=0.05))
    session.commit()
    corner = make_context(session, area, "Shop corner")
    for d in range(5):  # five lately, none before: a big rise, but fewer than this area's k of 6
        _plant(session, area, corner, _monday(NOW) - timedelta(days=d + 1))
    session.commit()
    result = run_patterns(db, base_url=BASE, now=NOW)[0]
    assert (
        result.new == [] and session.exec(select(Pattern)).all() == [] and _messages(session) == []
    )


def test_two_processes_running_at_once_report_a_pattern_once(
    db: Database, session: Session
) -> None:
    _town(session)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(
                lambda _: run_patterns(db, base_url=BASE, now=NOW, area_slug="brackenford")[0],
                range(2),
            )
        )
    assert sorted((len(r.new), r.already_done) for r in results) == [(0, True), (1, False)]
    assert len(session.exec(select(Pattern)).all()) == 1
    assert len(session.exec(select(PatternRun)).all()) == 1
    assert len(_messages(session)) == 1


def test_a_pattern_email_goes_through_a_real_mail_server(
    db: Database, session: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    _town(session)
    run_patterns(db, base_url=BASE, now=NOW)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp_server.port
    delivery = outbox.deliver_due(db, SmtpMailer(settings), now=NOW + timedelta(seconds=5))
    assert delivery.sent == 1
    [mail] = smtp_server.messages
    assert mail["X-Envelope-To"] == "panel@brackenford.example"
    assert "new pattern" in mail["Subject"]
    body = smtp_server.bodies()[0]
    assert "Brackenford bus station" in body and WORDS not in body
    assert session.exec(select(OutboxMessage)).one().state == OutboxState.SENT


# --- The command -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SAFETYMAP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFETYMAP_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.delenv("SAFETYMAP_SMTP_HOST", raising=False)
    return settings


def test_the_command_reports_once_and_a_dry_run_sends_nothing(
    cli_env: Settings, session: Session
) -> None:
    _town(session, now=utcnow())

    dry = runner.invoke(cli, ["patterns", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert (
        "would report 1 new pattern(s)" in dry.output
        and "Dry run: nothing was stored or sent." in dry.output
    )
    assert (
        session.exec(select(Pattern)).all() == []
        and session.exec(select(PatternRun)).all() == []
        and _messages(session) == []
    )

    first = runner.invoke(cli, ["patterns", "run", "--area", "brackenford"])
    assert first.exit_code == 0, first.output
    assert "found 1 new pattern(s)" in first.output and "Brackenford bus station" in first.output
    second = runner.invoke(cli, ["patterns", "run", "--area", "brackenford"])
    assert second.exit_code == 0, second.output
    assert "already looked at" in second.output
    assert len(session.exec(select(Pattern)).all()) == 1 and len(_messages(session)) == 1
    assert WORDS not in first.output + second.output + dry.output


def test_the_command_refuses_an_unknown_area(cli_env: Settings, session: Session) -> None:
    make_area(session)
    result = runner.invoke(cli, ["patterns", "run", "--area", "nowhere"])
    assert result.exit_code == 2 and "no area with slug 'nowhere'" in result.output


# --- The page --------------------------------------------------------------------------------


def _signed_in(client: TestClient, session: Session, area: Any, *roles: str) -> None:
    sign_in(client, make_staff(session, area, *roles).email)


def test_the_page_lists_patterns_with_their_evidence(
    client: TestClient, db: Database, session: Session
) -> None:
    town = _town(session)
    run_patterns(db, base_url=BASE, now=NOW)
    _signed_in(client, session, town["area"], "statutory")
    page = client.get("/staff/register/patterns")
    assert page.status_code == 200
    html = page.text
    assert "Rising at Brackenford bus station" in html
    assert f'href="/staff/register/contexts/{town["bus"].id}"' in html
    assert "<caption>The numbers</caption>" in html and "Unsafe entries each week" in html
    assert re.search(r"Unsafe entries in the recent weeks</th><td>16</td>", html)
    assert re.search(r"Usual for that many weeks</th><td>2</td>", html)
    assert re.search(r"Times the usual rate</th><td>8</td>", html)
    assert html.count('<th scope="row">') >= 16 + 4  # every week of the window, and the numbers
    # The chart draws the recent weeks and the weeks before in different fills.
    assert 'data-series="unsafe"' in html and 'data-series="neutral"' in html
    assert WORDS not in html
    assert "Save thresholds" not in html  # the form is for the area's admins
    assert client.get("/staff/register/patterns?show=past").text.count("Rising at") == 0
    assert client.get("/staff/register/patterns?show=current").text.count("Rising at") == 1
    logged = session.exec(
        select(AuditEvent).where(AuditEvent.action == "register.patterns_viewed")
    ).all()
    assert logged and logged[0].detail["show"] == "all"


def test_staff_of_one_area_see_only_their_own_patterns(
    client: TestClient, db: Database, session: Session
) -> None:
    _town(session, "brackenford")
    northwick = _town(session, "northwick")
    run_patterns(db, base_url=BASE, now=NOW)
    assert len(session.exec(select(Pattern)).all()) == 2
    _signed_in(client, session, northwick["area"], "moderator")
    html = client.get("/staff/register/patterns").text
    assert "Northwick bus station" in html and "Brackenford" not in html


def test_people_outside_the_register_are_refused(client: TestClient, session: Session) -> None:
    area = make_area(session)
    assert client.get("/staff/register/patterns").status_code == 303
    _signed_in(client, session, area, "facilitator")
    assert client.get("/staff/register/patterns").status_code == 403


def _thresholds_form(client: TestClient, **changes: str) -> Any:
    token = csrf_from(client.get("/staff/register/patterns").text)
    values = {
        "min_count": "8",
        "min_ratio": "2.5",
        "significance": "0.005",
        "recent_weeks": "3",
        "baseline_weeks": "20",
        "min_contexts": "4",
    }
    return client.post(
        "/staff/register/patterns/settings", data=values | changes | {"csrf_token": token}
    )


def test_an_admin_sets_the_thresholds_and_the_next_run_uses_them(
    client: TestClient, db: Database, session: Session
) -> None:
    town = _town(session)
    _signed_in(client, session, town["area"], "admin")
    assert "Save thresholds" in client.get("/staff/register/patterns").text
    saved = _thresholds_form(client, min_count="40")
    assert saved.status_code == 303 and saved.headers["location"].startswith(
        "/staff/register/patterns?saved=1"
    )
    row = session.get(PatternSettings, town["area"].id)
    assert row is not None and (
        row.min_count,
        row.min_ratio,
        row.significance,
        row.recent_weeks,
        row.baseline_weeks,
        row.min_contexts,
    ) == (40, 2.5, 0.005, 3, 20, 4)
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "patterns.settings_changed"))
        .one()
        .actor_id
        is not None
    )
    assert "Saved." in client.get("/staff/register/patterns?saved=1").text
    # 40 entries is more than the bus station's rise: nothing is reported now.
    assert run_patterns(db, base_url=BASE, now=NOW)[0].new == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_count": "1"}, "from 3 to 100"),
        ({"min_ratio": "0.5"}, "from 1.5 to 10"),
        ({"significance": "0.5"}, "Choose how sure"),
        ({"recent_weeks": "8", "baseline_weeks": "10"}, "at least twice the recent weeks"),
        ({"min_contexts": "1"}, "One context on its own"),
    ],
)
def test_thresholds_out_of_bounds_are_refused_and_nothing_is_saved(
    client: TestClient, session: Session, changes: dict[str, str], message: str
) -> None:
    area = make_area(session)
    _signed_in(client, session, area, "admin")
    refused = _thresholds_form(client, **changes)
    assert refused.status_code == 400
    assert "Please check your answers" in refused.text and message in refused.text
    assert session.get(PatternSettings, area.id) is None


def test_only_admins_may_change_thresholds_and_only_with_the_forms_token(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    _signed_in(client, session, area, "statutory")
    token = csrf_from(client.get("/staff/register/patterns").text)
    assert (
        client.post(
            "/staff/register/patterns/settings", data={"min_count": "9", "csrf_token": token}
        ).status_code
        == 403
    )
    client.cookies.clear()
    _signed_in(client, session, area, "admin")
    assert (
        client.post(
            "/staff/register/patterns/settings",
            data={
                "min_count": "9",
                "min_ratio": "2",
                "significance": "0.01",
                "recent_weeks": "4",
                "baseline_weeks": "12",
                "min_contexts": "3",
            },
        ).status_code
        == 403
    )
    assert session.get(PatternSettings, area.id) is None


def test_the_alerts_page_names_a_pattern_email(
    client: TestClient, db: Database, session: Session
) -> None:
    town = _town(session)
    run_patterns(db, base_url=BASE, now=NOW)
    _signed_in(client, session, town["area"], "admin")
    page = client.get("/staff/alerts")
    assert page.status_code == 200 and "Pattern found" in page.text
