"""Posters with a QR code, partners' links and campaigns: made by facilitators, counted per day,
never tracking a person."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.outreach import service
from app.outreach.models import OutreachCount, OutreachLink
from app.reports.models import Report, ReportStatus
from tests.factories import make_area, make_place, make_report, make_staff
from tests.support import page_token, sign_in


def _facilitator(client: TestClient, session: Session, area_slug: str = "brackenford"):  # type: ignore[no-untyped-def]
    area = make_area(session, area_slug)
    user = make_staff(session, area, "facilitator")
    sign_in(client, user.email)
    return area, user


def _make_link(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    token = page_token(client, "/staff/outreach")
    return client.post("/staff/outreach/links", data={"csrf_token": token, "kind": "poster", "label": "Sandringham library desk"} | fields)


def test_a_facilitator_makes_a_poster_with_a_qr_code_drawn_here(client: TestClient, session: Session) -> None:
    area, _ = _facilitator(client, session)
    place = make_place(session, area)
    made = _make_link(client, place_id=str(place.id))
    assert made.status_code == 303
    link = session.exec(select(OutreachLink)).one()
    assert re.fullmatch(r"[A-Z0-9]{8}", link.code) and link.place_id == place.id
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and f"/r/{link.code}" in page.text and "Victoria Park" in page.text
    # The snippet for a partner's site is a plain link: no frame, no script.
    snippet = re.search(r'<textarea id="embed"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert snippet and "&lt;a href=" in snippet.group(1) and "script" not in snippet.group(1) and "iframe" not in snippet.group(1)
    poster = client.get(f"/staff/outreach/links/{link.id}/poster")
    assert poster.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in poster.text and 'class="qr-code"' in poster.text
    assert f"/r/{link.code}" in poster.text and "0800 1111" in poster.text
    # Nothing on the poster page comes from anywhere else.
    assert not re.search(r'(src|href)="https?://(?!127\.0\.0\.1|testserver)', poster.text)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "outreach.link_created")).one()


def test_opening_a_link_counts_a_number_for_the_day_and_opens_the_form(client: TestClient, session: Session) -> None:
    _facilitator(client, session)
    _make_link(client)
    link = session.exec(select(OutreachLink)).one()
    public = TestClient(client.app)
    for _ in range(3):
        response = public.get(f"/r/{link.code}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/report"
    assert public.head(f"/r/{link.code}", follow_redirects=False).status_code == 303  # a link preview: not counted
    assert public.get(f"/r/{link.code.lower()}", follow_redirects=False).status_code == 303
    (count,) = session.exec(select(OutreachCount)).all()
    assert count.link_id == link.id and count.day == datetime.now(UTC).date() and count.visits == 4
    # An unknown code still leads to the form, and counts nothing.
    assert public.get("/r/NOSUCHCD", follow_redirects=False).headers["location"] == "/report"
    assert session.exec(select(OutreachCount)).one().visits == 4


def test_a_paused_link_still_opens_the_form_but_is_not_counted(client: TestClient, session: Session) -> None:
    _facilitator(client, session)
    _make_link(client)
    link = session.exec(select(OutreachLink)).one()
    token = page_token(client, f"/staff/outreach/links/{link.id}")
    paused = client.post(f"/staff/outreach/links/{link.id}/active", data={"csrf_token": token, "active": "false"})
    assert paused.status_code == 303 and "done=paused" in paused.headers["location"]
    assert "Paused" in client.get(paused.headers["location"]).text
    assert TestClient(client.app).get(f"/r/{link.code}", follow_redirects=False).headers["location"] == "/report"
    assert session.exec(select(OutreachCount)).all() == []


def test_a_mistake_in_the_form_is_named_and_nothing_typed_is_lost(client: TestClient, session: Session) -> None:
    _facilitator(client, session)
    refused = _make_link(client, kind="partner", label="School website, parents' page", partner_name="")
    assert refused.status_code == 400
    assert "Say which partner the link is for." in refused.text
    assert "School website, parents&#39; page" in refused.text
    other_area = make_area(session, "elsewhere")
    elsewhere = make_place(session, other_area, "Somewhere Else")
    refused = _make_link(client, place_id=str(elsewhere.id))
    assert refused.status_code == 400 and "Choose a place from the list" in refused.text
    refused = _make_link(client, place_id=str(2**64))
    assert refused.status_code == 400
    assert session.exec(select(OutreachLink)).all() == []


def test_other_roles_and_other_areas_cannot_see_the_links(client: TestClient, session: Session) -> None:
    area, _ = _facilitator(client, session)
    _make_link(client)
    link = session.exec(select(OutreachLink)).one()
    other = make_area(session, "elsewhere")
    moderator = make_staff(session, area, "moderator")
    stranger = make_staff(session, other, "facilitator")
    client.cookies.clear()
    sign_in(client, moderator.email)
    assert client.get("/staff/outreach").status_code == 403
    client.cookies.clear()
    sign_in(client, stranger.email)
    assert client.get(f"/staff/outreach/links/{link.id}").status_code == 404
    assert client.get(f"/staff/outreach/links/{link.id}/poster").status_code == 404
    assert "Sandringham library desk" not in client.get("/staff/outreach").text


def test_a_campaign_sums_up_its_window(client: TestClient, session: Session) -> None:
    area, _ = _facilitator(client, session)
    place = make_place(session, area)
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=3), today + timedelta(days=3)
    token = page_token(client, "/staff/outreach")
    refused = client.post("/staff/outreach/campaigns", data={"csrf_token": token, "name": "Safe journeys", "starts_on": end.isoformat(), "ends_on": start.isoformat()})
    assert refused.status_code == 400 and "on or after the start date" in refused.text and "Safe journeys" in refused.text
    made = client.post("/staff/outreach/campaigns", data={"csrf_token": token, "name": "Safe journeys home", "purpose": "Winter evenings", "starts_on": start.isoformat(), "ends_on": end.isoformat()})
    assert made.status_code == 303
    campaign_id = int(made.headers["location"].rsplit("/", 1)[1])
    _make_link(client, campaign_id=str(campaign_id), place_id=str(place.id))
    link = session.exec(select(OutreachLink)).one()
    public = TestClient(client.app)
    public.get(f"/r/{link.code}", follow_redirects=False)
    public.get(f"/r/{link.code}", follow_redirects=False)
    first = make_report(session, area, kind="unsafe", place_id=place.id)
    make_report(session, area, kind="safe")
    first.status = ReportStatus.PUBLISHED
    session.add(first)
    session.commit()
    old = make_report(session, area, kind="unsafe")
    old.created_at = datetime.now(UTC) - timedelta(days=30)
    session.add(old)
    session.commit()
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and "Safe journeys home" in page.text and "Running" in page.text
    assert area.id is not None
    campaign = service.get_campaign(session, area.id, campaign_id)
    assert campaign is not None
    summary = service.campaign_summary(session, area, campaign)
    assert summary.links[0][1] == 2
    assert summary.received["unsafe"] == 1 and summary.received["safe"] == 1
    assert summary.published["unsafe"] == 1
    assert summary.at_places == [("Victoria Park", 1)]
    assert not summary.finished
    assert service.campaign_summary(session, area, campaign, on=end + timedelta(days=1)).finished
    # The entry from before the campaign is not in it.
    assert sum(summary.received.values()) == len(session.exec(select(Report)).all()) - 1
