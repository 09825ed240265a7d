"""The area chooses the languages its safeguarding emails are written in (#13): every email carries
each of them, in order."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.areas.models import Area
from app.core.db import Database
from app.core.types import utcnow
from app.moderation import alerts
from app.moderation.models import OutboxMessage
from tests.factories import make_area, make_report, make_staff
from tests.support import csrf_from, sign_in

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I have to hold stuff for him at his flat."


def _form(token: str, **values: object) -> dict[str, object]:
    return {
        "csrf_token": token, "safeguarding_emails": "duty@brackenford.example", "escalation_emails": "",
        "urgent_response_minutes": "15", "review_hours": "24", "time_zone": "Europe/London",
    } | values


def test_an_admin_chooses_the_alert_languages_and_a_language_the_area_has_not_is_refused(
    client: TestClient, session: Session
) -> None:
    area = make_area(session, locales="en,cy,pl")
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/admin/safeguarding")
    assert 'name="alert_locales" value="cy"' in page.text and 'value="ar"' not in page.text
    token = csrf_from(page.text)
    refused = client.post("/staff/admin/safeguarding", data=_form(token, alert_locales=["en", "ar"], review_hours="30"))
    assert refused.status_code == 400 and 'id="alert_locales-error"' in refused.text and 'value="30"' in refused.text
    saved = client.post("/staff/admin/safeguarding", data=_form(token, alert_locales=["cy", "en"]))
    assert saved.status_code == 303
    session.expire_all()
    stored = session.get(Area, area.id)
    assert stored is not None and stored.alert_locales == "cy,en" and stored.alert_locale_list == ["cy", "en"]


def test_each_alert_email_carries_every_chosen_language_in_order(db: Database, session: Session) -> None:
    area = make_area(session, locales="en,cy", alert_locales="cy,en")
    english_only = make_area(session, "elsewhere")
    make_report(session, area, description=DISCLOSURE)
    make_report(session, english_only, description=DISCLOSURE)
    assert alerts.queue_alert_messages(db, base_url="http://testserver", resend_after=timedelta(minutes=30), now=utcnow()) == 2
    session.expire_all()
    ours = session.exec(select(OutboxMessage).where(OutboxMessage.area_id == area.id)).one()
    theirs = session.exec(select(OutboxMessage).where(OutboxMessage.area_id == english_only.id)).one()
    assert " / " in ours.subject and " / " not in theirs.subject
    welsh, english = ours.body.split("- - -")
    assert english.strip().splitlines()[0] == theirs.body.strip().splitlines()[0].replace("Elsewhere", "Brackenford")
    assert welsh.strip() != english.strip()
    assert ours.locale == "cy"
