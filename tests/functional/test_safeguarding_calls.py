"""Moderators teach triage, over HTTP: the safeguarding call on every entry, and how triage is doing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import app as cli
from app.core.config import Settings
from app.moderation.models import SafeguardingAlert, TriageLabel
from app.reports.models import Report
from tests.factories import make_area, make_report, make_staff
from tests.support import csrf_from, sign_in

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."
CALM = "The bus shelter is dark but it's fine in the day."


def _flagged(session: Session, area: object, urgency: str = "likely") -> Report:
    report = make_report(session, area, description=DISCLOSURE)  # type: ignore[arg-type]
    report.urgency = urgency
    report.urgent_reasons = "threat_or_coercion"
    report.urgent_cues = ["a threat if they tell: “if I tell anyone”"]
    session.add(report)
    session.commit()
    return report


def _section(html: str) -> str:
    match = re.search(r'<section id="safeguarding-call".*?</section>', html, re.S)
    assert match, "the entry page has no safeguarding call section"
    return match.group(0)


def _call(client: TestClient, report: Report, urgent: str) -> None:
    page = client.get(f"/staff/moderation/{report.id}")
    response = client.post(f"/staff/moderation/{report.id}/safeguarding-call", data={"csrf_token": csrf_from(page.text), "urgent": urgent})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/moderation/{report.id}#safeguarding-call"


def _label(session: Session, report: Report) -> TriageLabel:
    return session.exec(select(TriageLabel).where(TriageLabel.report_id == report.id)).one()


def test_a_flagged_entry_shows_what_triage_said_near_the_top_and_asks_for_the_call(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area)
    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get(f"/staff/moderation/{report.id}").text
    section = _section(page)
    assert page.index('id="safeguarding-call"') < page.index('class="summary"')
    assert "likely a safeguarding disclosure" in section
    assert "threats or being made to do things" in section
    assert "if I tell anyone" in section
    assert "Yes, someone may be in danger" in section and "No, this is not urgent" in section
    assert "not made yet" in section
    assert f'action="/staff/moderation/{report.id}/safeguarding-call"' in section and 'name="csrf_token"' in section


def test_an_unflagged_entry_offers_mark_as_urgent(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=CALM)
    sign_in(client, make_staff(session, area, "moderator").email)
    section = _section(client.get(f"/staff/moderation/{report.id}").text)
    assert "not flagged" in section
    assert "Mark as urgent" in section and "Agree it is not urgent" in section
    assert "Yes, someone may be in danger" not in section


def test_confirming_a_flag(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area)
    moderator = make_staff(session, area, "moderator")
    sign_in(client, moderator.email)
    _call(client, report, "yes")
    label = _label(session, report)
    assert (label.outcome, label.urgent, label.moderator_id) == ("confirmed", True, moderator.id)
    assert "confirmed: someone may be in danger" in _section(client.get(f"/staff/moderation/{report.id}").text)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "triage.confirmed")).one()
    assert event.actor_id == moderator.id and event.subject_id == str(report.id)


def test_correcting_a_flag_takes_it_off_the_top_of_the_queue(client: TestClient, session: Session) -> None:
    area = make_area(session)
    older = make_report(session, area, description=CALM)
    report = _flagged(session, area, urgency="possible")
    sign_in(client, make_staff(session, area, "moderator").email)
    queue = client.get("/staff/moderation").text
    assert queue.index(f"/staff/moderation/{report.id}") < queue.index(f"/staff/moderation/{older.id}")
    _call(client, report, "no")
    session.expire_all()
    fresh = session.get(Report, report.id)
    assert fresh is not None and not fresh.urgent and fresh.urgency == "possible"
    assert _label(session, report).outcome == "corrected"
    queue = client.get("/staff/moderation").text
    assert queue.index(f"/staff/moderation/{older.id}") < queue.index(f"/staff/moderation/{report.id}")
    # The alert raised when it arrived stays in the history.
    assert session.exec(select(func.count()).select_from(SafeguardingAlert).where(SafeguardingAlert.report_id == report.id)).one() == 1
    page = client.get(f"/staff/moderation/{report.id}").text
    assert "possibly a safeguarding disclosure" in _section(page) and "corrected: this is not urgent" in _section(page)


def test_marking_a_missed_disclosure_urgent_raises_the_alert_at_once(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=CALM)
    moderator = make_staff(session, area, "moderator")
    sign_in(client, moderator.email)
    assert session.exec(select(SafeguardingAlert)).first() is None
    _call(client, report, "yes")
    session.expire_all()
    assert session.get(Report, report.id).urgent  # type: ignore[union-attr]
    alert = session.exec(select(SafeguardingAlert)).one()
    assert (alert.report_id, alert.area_id, alert.acknowledged_at) == (report.id, area.id, None)
    assert _label(session, report).outcome == "missed"
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "triage.missed" in actions and "alert.raised" in actions
    page = client.get(f"/staff/moderation/{report.id}").text
    assert "Acknowledge the alert" in page
    assert "marked as urgent: triage missed it" in _section(page)


def test_agreeing_an_unflagged_entry_is_not_urgent(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=CALM)
    sign_in(client, make_staff(session, area, "moderator").email)
    _call(client, report, "no")
    assert _label(session, report).outcome == "agreed"
    assert session.exec(select(SafeguardingAlert)).first() is None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "triage.agreed")).one().detail["implicit"] is False


def test_changing_ones_mind_keeps_one_label(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = _flagged(session, area)
    sign_in(client, make_staff(session, area, "moderator").email)
    _call(client, report, "no")
    _call(client, report, "yes")
    (label,) = session.exec(select(TriageLabel)).all()
    assert (label.outcome, label.urgent) == ("confirmed", True)


def test_publishing_without_a_call_leaves_a_label(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=CALM)
    sign_in(client, make_staff(session, area, "moderator").email)
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    response = client.post(
        f"/staff/moderation/{report.id}/publish",
        data={"csrf_token": token, "version": str(report.version), "public_description": "The bus shelter is dark.", "new_context_name": "Bus shelter"},
    )
    assert response.status_code == 303
    assert _label(session, report).outcome == "agreed"


def test_the_call_needs_a_csrf_token(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=CALM)
    sign_in(client, make_staff(session, area, "moderator").email)
    client.get(f"/staff/moderation/{report.id}")
    for data in ({"urgent": "yes"}, {"urgent": "yes", "csrf_token": "forged"}):
        response = client.post(f"/staff/moderation/{report.id}/safeguarding-call", data=data)
        assert response.status_code == 403
    session.expire_all()
    assert not session.get(Report, report.id).urgent  # type: ignore[union-attr]
    assert session.exec(select(TriageLabel)).first() is None
    assert session.exec(select(SafeguardingAlert)).first() is None


def test_a_call_on_another_areas_entry_is_refused(client: TestClient, session: Session) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    theirs = make_report(session, other, description=CALM)
    sign_in(client, make_staff(session, home, "moderator").email)
    token = csrf_from(client.get("/staff/moderation").text)
    response = client.post(f"/staff/moderation/{theirs.id}/safeguarding-call", data={"csrf_token": token, "urgent": "yes"})
    assert response.status_code == 404
    assert session.exec(select(TriageLabel)).first() is None and session.exec(select(SafeguardingAlert)).first() is None


def test_a_statutory_member_cannot_make_the_call_or_see_triage_figures(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=CALM)
    sign_in(client, make_staff(session, area, "statutory").email)
    token = csrf_from(client.get("/staff/register").text)
    assert client.post(f"/staff/moderation/{report.id}/safeguarding-call", data={"csrf_token": token, "urgent": "yes"}).status_code == 403
    assert client.get("/staff/triage").status_code == 403
    assert 'href="/staff/triage"' not in client.get("/staff/register").text


def _cells(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def test_triage_page_shows_the_areas_calls_and_rates_only(client: TestClient, session: Session) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    confirmed, corrected = _flagged(session, home), _flagged(session, home, urgency="possible")
    missed = make_report(session, home, description=CALM)
    make_report(session, home, description=CALM)
    for _ in range(3):
        make_report(session, other, description=DISCLOSURE)
    moderator = make_staff(session, home, "moderator")
    sign_in(client, moderator.email)
    _call(client, confirmed, "yes")
    _call(client, corrected, "no")
    _call(client, missed, "yes")
    response = client.get("/staff/triage")
    assert response.status_code == 200
    page = response.text
    assert "<caption>" in page and 'scope="col"' in page
    assert 'href="/staff/triage" aria-current="page"' in page
    (row,) = _cells(page)
    # Month, language, entries, likely, possible, confirmed, corrected, missed, share confirmed, missed per 100.
    assert row[1:] == ["English", "4", "1", "1", "1", "1", "1", "50%", "25"]


def test_an_admin_sees_the_triage_page_and_its_link(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/triage")
    assert page.status_code == 200 and "No entries yet." in page.text
    assert 'href="/staff/triage"' in client.get("/staff/moderation").text


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SAFETYMAP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFETYMAP_SECRET_KEY", settings.secret_key.get_secret_value())
    return settings


def test_export_labels_command_writes_the_areas_redacted_labels(cli_env: Settings, client: TestClient, session: Session, tmp_path: Path) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    report = make_report(session, home, description="Call Jordan on 07700 900123, the underpass is dark.")
    make_report(session, other, description=CALM)
    sign_in(client, make_staff(session, home, "moderator").email)
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    published = client.post(
        f"/staff/moderation/{report.id}/publish",
        data={"csrf_token": token, "version": str(report.version), "public_description": "The underpass is dark.", "new_context_name": "Underpass"},
    )
    assert published.status_code == 303
    runner = CliRunner()
    result = runner.invoke(cli, ["triage", "export-labels", "--area", "brackenford"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["text"] == "The underpass is dark." and row["urgent"] is False and row["outcome"] == "agreed" and row["lang"] == "en"
    target = tmp_path / "labels.jsonl"
    result = runner.invoke(cli, ["triage", "export-labels", "--area", "northwick", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == ""  # northwick's entry was never moderated: no label yet
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(cli, ["triage", "export-labels", "--area", "nowhere"]).exit_code == 2
