"""Journeys 3, 4 and 5 over HTTP: moderate, see it in the register, act, and tell the community."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.register.models import Action, Context
from app.reports.models import Report
from tests.factories import make_area, make_report, make_staff
from tests.support import csrf_from, sign_in


def _publish_form(client: TestClient, report: Report, **overrides: str) -> dict[str, str]:
    page = client.get(f"/staff/moderation/{report.id}")
    assert page.status_code == 200
    public = re.search(r'<textarea name="public_description"[^>]*>([^<]*)</textarea>', page.text)
    data = {
        "csrf_token": csrf_from(page.text),
        "version": str(report.version),
        "public_description": public.group(1) if public else "",
        "public_what_would_help": "",
        "context_id": "",
        "new_context_name": "Canal Walk",
        "show_on_map": "yes",
    }
    data.update(overrides)
    return data


def test_staff_pages_send_anonymous_people_to_sign_in(client: TestClient, session: Session) -> None:
    make_area(session)
    for path in ("/staff/moderation", "/staff/register", "/staff/register/export.csv"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/sign-in?next=")


def test_wrong_password_is_refused_and_audited(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    token = csrf_from(client.get("/staff/sign-in").text)
    response = client.post("/staff/sign-in", data={"email": user.email, "password": "wrong password!", "csrf_token": token})
    assert response.status_code == 401
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_refused")).first() is not None


def test_sign_in_issues_a_new_session_cookie_that_is_httponly(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    response = sign_in(client, user.email)
    cookie = response.headers["set-cookie"]
    assert "sm_staff=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_urgent_report_jumps_the_queue(client: TestClient, session: Session) -> None:
    area = make_area(session)
    calm = make_report(session, area, description="The bus shelter is dark but it's fine in the day.")
    urgent = make_report(session, area, description="He said if I tell anyone he will hurt my little sister. I'm scared to go home.")
    assert urgent.urgent and not calm.urgent
    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get("/staff/moderation").text
    assert page.index(f"/staff/moderation/{urgent.id}") < page.index(f"/staff/moderation/{calm.id}")
    assert "Urgent waiting: 1" in page


def test_moderator_publishes_with_redactions_and_register_shows_only_public_text(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description="The park is dark at night. Text me on 07700 900123 if you need more.")
    assert any(s["kind"] == "phone" for s in report.suggested_redactions)
    moderator = make_staff(session, area, "moderator")
    sign_in(client, moderator.email)
    form = _publish_form(client, report)
    assert "07700 900123" not in form["public_description"]
    form["accept_description"] = [str(i) for i, s in enumerate(report.suggested_redactions)]  # type: ignore[assignment]
    # Even if the moderator types the number back in, an accepted redaction never reaches the public text.
    form["public_description"] = "The park is dark at night. Call 07700 900123."
    response = client.post(f"/staff/moderation/{report.id}/publish", data=form)
    assert response.status_code == 303
    session.expire_all()
    published = session.get(Report, report.id)
    assert published is not None and published.status == "published"
    assert "07700 900123" not in (published.public_description or "")
    context = session.exec(select(Context)).one()
    assert context.name == "Canal Walk"
    register_page = client.get(f"/staff/register/contexts/{context.id}").text
    assert "The park is dark at night." in register_page
    assert "07700 900123" not in register_page
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "report.published")).one()
    assert event.actor_id == moderator.id
    assert event.detail["before"]["status"] == "pending"
    assert "07700" not in json.dumps(event.detail)


def test_a_decision_made_on_a_stale_version_of_a_pending_entry_is_refused(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    sign_in(client, make_staff(session, area, "moderator").email)
    form = _publish_form(client, report)  # the page carries the version it showed
    with TestClient(client.app, follow_redirects=False) as other_moderator:
        sign_in(other_moderator, make_staff(session, area, "moderator").email)
        token = csrf_from(other_moderator.get(f"/staff/moderation/{report.id}").text)
        # The other moderator takes it on: still waiting for a decision, but on a newer version.
        assert other_moderator.post(f"/staff/moderation/{report.id}/claim", data={"csrf_token": token}).status_code == 303
    session.expire_all()
    claimed = session.get(Report, report.id)
    assert claimed is not None and claimed.status == "pending" and claimed.version == int(form["version"]) + 1
    stale = client.post(f"/staff/moderation/{report.id}/publish", data=form)
    assert stale.status_code == 409
    assert "Someone else changed this entry" in stale.text
    assert f'name="version" value="{claimed.version}"' in stale.text  # the page shows the entry as it is now
    stale_reject = client.post(f"/staff/moderation/{report.id}/reject", data={"csrf_token": form["csrf_token"], "version": form["version"], "reason": "spam"})
    assert stale_reject.status_code == 409
    session.expire_all()
    kept = session.get(Report, report.id)
    assert kept is not None and (kept.status, kept.version, kept.context_id) == ("pending", claimed.version, None)
    assert session.exec(select(Context)).first() is None  # the refused publish left no new context behind


def test_two_moderators_cannot_both_win(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    sign_in(client, make_staff(session, area, "moderator").email)
    form = _publish_form(client, report)
    assert client.post(f"/staff/moderation/{report.id}/publish", data=form).status_code == 303
    stale = client.post(f"/staff/moderation/{report.id}/reject", data={"csrf_token": form["csrf_token"], "version": form["version"], "reason": "spam"})
    assert stale.status_code == 409
    assert "Someone else changed this entry" in stale.text
    session.expire_all()
    assert session.get(Report, report.id).status == "published"  # type: ignore[union-attr]


def test_rejecting_needs_a_reason(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    sign_in(client, make_staff(session, area, "moderator").email)
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    missing = client.post(f"/staff/moderation/{report.id}/reject", data={"csrf_token": token, "version": "1", "reason": ""})
    assert missing.status_code == 422
    done = client.post(f"/staff/moderation/{report.id}/reject", data={"csrf_token": token, "version": "1", "reason": "duplicate"})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(Report, report.id).rejection_reason == "duplicate"  # type: ignore[union-attr]


def test_statutory_role_cannot_moderate(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "statutory").email)
    assert client.get("/staff/moderation").status_code == 403
    assert client.get("/staff/register").status_code == 200


def test_action_published_reaches_you_said_we_did_and_the_receipt(client: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description="No lights on the canal path at all.")
    sign_in(client, make_staff(session, area, "moderator", "statutory").email)
    client.post(f"/staff/moderation/{report.id}/publish", data=_publish_form(client, report))
    context = session.exec(select(Context)).one()
    page = client.get(f"/staff/register/contexts/{context.id}")
    token = csrf_from(page.text)
    added = client.post(
        f"/staff/register/contexts/{context.id}/actions",
        data={"csrf_token": token, "title": "Fix the lights", "owner_organisation": "Highways", "response_type": "environment", "status": "planned", "due_date": "2027-01-31"},
    )
    assert added.status_code == 303
    action = session.exec(select(Action)).one()
    assert client.post(f"/staff/register/actions/{action.id}/publish", data={"csrf_token": token, "public_summary": ""}).status_code == 422
    client.post(f"/staff/register/actions/{action.id}/publish", data={"csrf_token": token, "public_summary": "New lights are going in on Canal Walk."})
    public = client.get("/you-said-we-did").text
    assert "New lights are going in on Canal Walk." in public
    tracked = client.post("/track", data={"code": report.receipt_code, "csrf_token": token})
    assert "New lights are going in on Canal Walk." in tracked.text


def test_register_view_and_export_are_in_the_access_log(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    sign_in(client, user.email)
    client.get("/staff/register")
    export = client.get("/staff/register/export.csv")
    assert export.status_code == 200 and export.text.startswith("context_id,")
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.actor_id == user.id)).all()]
    assert "register.list_viewed" in actions and "register.exported" in actions


def test_staff_of_one_area_never_see_another_areas_data(client: TestClient, session: Session) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "northwick")
    theirs = make_report(session, other, description="Northwick only: the station car park is dark.")
    northwick_moderator = make_staff(session, other, "moderator")
    sign_in(client, northwick_moderator.email)
    client.post(f"/staff/moderation/{theirs.id}/publish", data=_publish_form(client, theirs, new_context_name="Northwick station"))
    their_context = session.exec(select(Context)).one()
    client.cookies.clear()
    sign_in(client, make_staff(session, home, "moderator", "statutory").email)
    assert client.get(f"/staff/moderation/{theirs.id}").status_code == 404
    assert client.get(f"/staff/register/contexts/{their_context.id}").status_code == 404
    assert "Northwick" not in client.get("/staff/register").text
    assert "Northwick" not in client.get("/staff/register/export.csv").text
    assert "Northwick" not in client.get("/staff/register/export.geojson").text
    token = csrf_from(client.get("/staff/register").text)
    assert client.post(f"/staff/register/contexts/{their_context.id}/flag", data={"csrf_token": token}).status_code == 404
