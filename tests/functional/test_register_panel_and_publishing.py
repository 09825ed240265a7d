"""The panel agenda (flag, summary, print, CSV, decisions) and the moderated "You said, we did" step."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.register.actions import publish_action
from app.register.models import Action, Context, PanelDecision
from app.register.service import RegisterError
from tests.factories import make_area, make_context, make_published, make_staff
from tests.support import csrf_from, sign_in


def test_flag_puts_the_context_on_the_agenda_with_its_summary(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park", strengths="Youth workers on Fridays.")
    for _ in range(3):
        make_published(session, area, park, kind="unsafe", categories=["poor_lighting"], time_bands=["evening"])
    sign_in(client, make_staff(session, area, "statutory").email)
    token = csrf_from(client.get(f"/staff/register/contexts/{park.id}").text)
    assert client.post(f"/staff/register/contexts/{park.id}/flag", data={"csrf_token": token, "reason": "Rising reports after dark"}).status_code == 303
    session.expire_all()
    flagged = session.get(Context, park.id)
    assert flagged is not None and flagged.flagged_for_panel and flagged.status == "on_panel_agenda" and flagged.flagged_at
    agenda = client.get("/staff/register/panel").text
    assert "Victoria Park" in agenda and "Rising reports after dark" in agenda
    assert "Poor lighting (3)" in agenda and "Evening" in agenda and "Youth workers on Fridays." in agenda
    exported = client.get("/staff/register/panel.csv")
    assert exported.headers["content-disposition"].endswith('-panel-agenda.csv"')
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows[0]["context_name"] == "Victoria Park" and rows[0]["unsafe_last_3_months"] == "3" and rows[0]["reason"] == "Rising reports after dark"
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "context.flagged_for_panel" in actions and "register.panel_viewed" in actions and "register.exported" in actions


def test_panel_page_prints_without_forms_or_navigation() -> None:
    css = Path("static/css/app.css").read_text()
    print_rules = css[css.index("/* Register: print"):]
    assert "@media print" in print_rules and ".decision-form" in print_rules and ".register-nav" in print_rules


def test_decision_with_an_agreed_action_moves_status_and_clears_the_flag(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park", flagged_for_panel=True, status="on_panel_agenda")
    sign_in(client, make_staff(session, area, "statutory").email)
    token = csrf_from(client.get("/staff/register/panel").text)
    missing = client.post(f"/staff/register/panel/{park.id}/decision", data={"csrf_token": token, "decision": " "})
    assert missing.status_code == 422 and "Please write down what the panel decided." in missing.text
    response = client.post(
        f"/staff/register/panel/{park.id}/decision",
        data={
            "csrf_token": token, "panel_date": "2026-12-01", "decision": "Detached youth work on Friday evenings; review in three months.",
            "to_status": "plan_in_place", "action_title": "Detached youth work on Fridays", "action_owner_organisation": "Eastside Youth Hub",
            "action_response_type": "relational", "action_due_date": "2027-01-31", "action_status": "planned",
        },
    )
    assert response.status_code == 303
    session.expire_all()
    context = session.get(Context, park.id)
    assert context is not None and context.status == "plan_in_place" and not context.flagged_for_panel
    decision = session.exec(select(PanelDecision)).one()
    action = session.exec(select(Action)).one()
    assert action.decision_id == decision.id and action.response_type == "relational" and str(action.due_date) == "2027-01-31"
    assert "Nothing is flagged for the next panel yet." in client.get("/staff/register/panel").text
    assert "agreed at panel" in client.get(f"/staff/register/contexts/{park.id}").text


def _action(session: Session, area: object, context: Context, author_id: int | None) -> Action:
    action = Action(area_id=context.area_id, context_id=context.id, title="New lights", owner_organisation="Highways",  # type: ignore[arg-type]
                    response_type="environment", public_summary="New lights are going in on Canal Walk.", created_by_id=author_id)
    session.add(action)
    session.commit()
    return action


def test_only_a_moderator_publishes_what_the_public_reads(client: TestClient, session: Session) -> None:
    area = make_area(session)
    canal = make_context(session, area, "Canal Walk")
    report = make_published(session, area, canal, description="No lights on the canal path.")
    author = make_staff(session, area, "statutory")
    action = _action(session, area, canal, author.id)
    sign_in(client, author.email)
    page = client.get(f"/staff/register/contexts/{canal.id}")
    assert "Draft for You said, we did, waiting for a moderator" in page.text
    token = csrf_from(page.text)
    assert client.post(f"/staff/register/actions/{action.id}/publish", data={"csrf_token": token, "public_summary": "Lights."}).status_code == 403
    client.cookies.clear()
    moderator = make_staff(session, area, "moderator")
    sign_in(client, moderator.email)
    token = csrf_from(client.get(f"/staff/register/contexts/{canal.id}").text)
    refused = client.post(f"/staff/register/actions/{action.id}/publish", data={"csrf_token": token, "public_summary": "Call Dave Jones on 07700 900123 about the lights."})
    assert refused.status_code == 422 and "personal details" in refused.text
    assert "07700" not in client.get("/you-said-we-did").text
    published = client.post(f"/staff/register/actions/{action.id}/publish", data={"csrf_token": token, "public_summary": "New lights are going in on Canal Walk."})
    assert published.status_code == 303
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "action.published")).one()
    assert event.actor_id == moderator.id and event.detail["drafted_by"] == author.id
    assert "New lights are going in on Canal Walk." in client.get("/you-said-we-did").text
    assert "New lights are going in on Canal Walk." in client.post("/track", data={"code": report.receipt_code, "csrf_token": token}).text
    assert client.post(f"/staff/register/actions/{action.id}/unpublish", data={"csrf_token": token}).status_code == 303
    assert "New lights are going in on Canal Walk." not in client.get("/you-said-we-did").text
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "action.unpublished")).one().actor_id == moderator.id


def test_publishing_in_the_service_checks_the_role_too(session: Session) -> None:
    from app.accounts.service import StaffIdentity

    area = make_area(session)
    canal = make_context(session, area, "Canal Walk")
    user = make_staff(session, area, "statutory")
    action = _action(session, area, canal, user.id)
    identity = StaffIdentity(user=user, area=area, roles=frozenset({"statutory"}), session_id=0)
    with pytest.raises(RegisterError, match="moderator_only"):
        publish_action(session, identity, action, "New lights.")


def test_action_status_and_due_date_can_be_updated_and_are_audited(client: TestClient, session: Session) -> None:
    area = make_area(session)
    canal = make_context(session, area, "Canal Walk")
    user = make_staff(session, area, "statutory")
    action = _action(session, area, canal, user.id)
    sign_in(client, user.email)
    token = csrf_from(client.get(f"/staff/register/contexts/{canal.id}").text)
    response = client.post(f"/staff/register/actions/{action.id}/update", data={"csrf_token": token, "status": "done", "due_date": "2027-02-01"})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Action, action.id).status == "done"  # type: ignore[union-attr]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "action.updated")).one()
    assert event.detail["before"]["status"] == "planned" and event.detail["after"]["due_date"] == "2027-02-01"
