"""Every page template renders, with a title and the page's language (and direction).

One area gets rich data (an admin with every role, a pending and an urgent report, a published one
filed under a context with a published action, a workshop with a participant, outreach links, ...);
then the test opens a list of URLs, records every template the app renders, and fails naming any
page template under templates/ that no URL reached. A new page template therefore needs a URL here
(or, if it truly cannot be reached by a test client, a line in NOT_REACHABLE_HERE saying why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.accounts.models import Membership, Role
from app.accounts.service import StaffIdentity
from app.core import templating
from app.core.types import utcnow
from app.outreach import service as outreach
from app.register import actions
from tests.factories import (
    make_area,
    make_context,
    make_place,
    make_published,
    make_report,
    make_staff,
    make_workshop,
)
from tests.support import csrf_from, receipt_from, report_form, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LAYOUTS = {"base.html", "public.html", "staff.html", "_macros.html"}
# Page templates this test cannot reach through a test client, each with the reason. Keep it small:
# a page listed here is a page nobody checks.
NOT_REACHABLE_HERE: dict[str, str] = {}
DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_HTML_LANG = re.compile(r'<html\b[^>]*\blang="([a-z]{2,3}(?:-[A-Za-z]+)?)"')


def page_templates() -> set[str]:
    """Every .html under templates/ that is a page: not a fragment, layout or email."""
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith("email/") or path.name.startswith("_") or name in LAYOUTS:
            continue
        found.add(name)
    return found


@dataclass
class Visits:
    rendered: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def check(self, label: str, response: Response, *, rtl: bool = False) -> Response:
        """A full HTML page has a title of its own and says its language (and direction when RTL)."""
        if not response.headers.get("content-type", "").startswith("text/html"):
            return response
        html = response.text
        title = _TITLE.search(html)
        own_words = title.group(1).split("–")[0].strip() if title else ""
        if not own_words:
            self.problems.append(f"{label}: no <title> words of its own ({title.group(0) if title else 'no title'})")
        lang = _HTML_LANG.search(html)
        if lang is None:
            self.problems.append(f"{label}: <html> has no lang attribute")
        elif rtl and (lang.group(1) != "ar" or 'dir="rtl"' not in html[: html.find(">", lang.start()) + 1]):
            self.problems.append(f"{label}: fetched with ?lang=ar but <html> is not lang=\"ar\" dir=\"rtl\"")
        return response


@pytest.fixture
def visits(monkeypatch: pytest.MonkeyPatch) -> Visits:
    """Records every template the app loads (pages, and what they extend and include)."""
    record = Visits()
    original = templating.environment.get_template

    def recording(name: Any, *args: Any, **kwargs: Any) -> Any:
        template = original(name, *args, **kwargs)
        record.rendered.add(template.name or str(name))
        return template

    monkeypatch.setattr(templating.environment, "get_template", recording)  # undone by monkeypatch after the test
    return record


@dataclass
class Town:
    ids: dict[str, int]
    admin_email: str
    limited_email: str
    join_code: str


def _build_town(session: Session) -> Town:
    area = make_area(session, locales="en,cy,ar")
    other = make_area(session, "northwick")
    admin = make_staff(session, area, *(role.value for role in Role))
    # An admin of another area too: signing in asks which area, so the area chooser is a page here.
    assert admin.id is not None and other.id is not None
    session.add(Membership(user_id=admin.id, area_id=other.id, role=Role.ADMIN.value))
    session.commit()
    limited = make_staff(session, area, "facilitator", totp_secret=None)  # no code set up yet
    identity = StaffIdentity(user=admin, area=area, roles=frozenset(r.value for r in Role), session_id=0)
    park = make_place(session, area)
    context = make_context(session, area, "Victoria Park", place_id=park.id)
    published = make_published(session, area, context, place_id=park.id, location_text="")
    action = actions.record_action(
        session, identity, context,
        actions.ActionInput(title="Youth workers at the park on Fridays", owner_organisation="Youth service",
                            response_type="relational", status="in_progress", due_date=date(2027, 1, 31)),
    )
    actions.publish_action(session, identity, action, "Youth workers now visit the park on Friday evenings.")
    pending = make_report(session, area)
    urgent = make_report(session, area, description=DISCLOSURE)
    workshop = make_workshop(session, area, admin)
    today = utcnow().date()
    campaign = outreach.create_campaign(
        session, identity, name="Safe routes to school", purpose="Where do you feel safe on the way to school?",
        starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=30),
    )
    link = outreach.create_link(session, identity, kind="poster", label="Youth club noticeboard", campaign_id=campaign.id)
    session.commit()
    ids = {
        "context": context.id, "published": published.id, "pending": pending.id, "urgent": urgent.id,
        "workshop": workshop.id, "campaign": campaign.id, "link": link.id,
    }
    assert all(ids.values())
    return Town(ids=ids, admin_email=admin.email, limited_email=limited.email, join_code=workshop.join_code)  # type: ignore[arg-type]


def _with_lang(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang=ar"


def _get_page(client: TestClient, visits: Visits, url: str, *, expect: int = 200, arabic_too: bool = True) -> Response:
    response = client.get(url)
    assert response.status_code == expect, f"GET {url}: {response.status_code} {response.text[:300]}"
    visits.check(f"GET {url}", response)
    if not arabic_too:
        return response
    arabic = client.get(_with_lang(url))
    assert arabic.status_code == expect, f"GET {_with_lang(url)}: {arabic.status_code}"
    visits.check(f"GET {_with_lang(url)}", arabic, rtl=True)
    client.get("/?lang=en")  # back to English for what follows
    return response


def _post_page(client: TestClient, visits: Visits, url: str, data: dict[str, Any], *, expect: int = 200) -> Response:
    response = client.post(url, data=data)
    assert response.status_code == expect, f"POST {url}: {response.status_code} {response.text[:300]}"
    return visits.check(f"POST {url}", response)


def _public_pages(client: TestClient, visits: Visits, town: Town) -> None:
    for url in ("/", "/help", "/exit-this-page", "/privacy", "/languages", "/map", "/you-said-we-did", "/track", "/workshops/join"):
        _get_page(client, visits, url)
    # In English only here: test_the_not_found_page_is_in_the_readers_language pins the Arabic one.
    _get_page(client, visits, "/no-such-page", expect=404, arabic_too=False)


def _report_screens(client: TestClient, visits: Visits) -> None:
    _get_page(client, visits, "/report")  # the first screen: what kind
    form = report_form(client)
    for step in ("where", "me_too", "when", "what", "feel", "about", "kind"):
        _post_page(client, visits, "/report", form | {"step": "check", "go": f"change:{step}"})
    _post_page(client, visits, "/report", form | {"step": "about", "go": "next"})  # every answer given: the check screen
    sent = _post_page(client, visits, "/report", form)  # no step: sent at once
    code = receipt_from(sent.text)
    token = csrf_from(client.get("/track").text)
    _post_page(client, visits, "/track", {"code": code, "csrf_token": token})
    _post_page(client, visits, "/track/withdraw", {"code": code, "csrf_token": token})
    _post_page(client, visits, "/track/withdraw", {"code": code, "csrf_token": token, "confirm": "yes"})
    _post_page(client, visits, "/track/withdraw", {"code": code, "csrf_token": "not-the-token"}, expect=403)


def _workshop_participant(web_app: FastAPI, visits: Visits, town: Town) -> None:
    with TestClient(web_app, follow_redirects=False) as phone:
        page = phone.get(f"/workshops/join?code={town.join_code}")
        joined = phone.post("/workshops/join", data={"code": town.join_code, "csrf_token": csrf_from(page.text)})
        assert joined.status_code == 303, joined.text[:300]
        _get_page(phone, visits, "/workshops/session")
        _get_page(phone, visits, "/workshops/session/add")


def _staff_pages(client: TestClient, visits: Visits, town: Town) -> None:
    ids = town.ids
    urls = [
        "/staff/moderation", f"/staff/moderation/{ids['pending']}", f"/staff/moderation/{ids['urgent']}",
        f"/staff/moderation/{ids['urgent']}/questions", "/staff/triage", "/staff/alerts",
        "/staff/register", "/staff/register/map", "/staff/register/weighting", "/staff/register/panel",
        "/staff/register/access-log", f"/staff/register/contexts/{ids['context']}",
        f"/staff/register/contexts/{ids['context']}/outcomes", "/staff/register/heatmap", "/staff/register/patterns",
        "/staff/register/equality", "/staff/taxonomy", "/staff/admin/safeguarding", "/staff/admin/help-contacts", "/staff/admin/sign-in",
        "/staff/workshops", f"/staff/workshops/{ids['workshop']}", f"/staff/workshops/{ids['workshop']}/wall",
        f"/staff/workshops/{ids['workshop']}/summary", "/staff/outreach", f"/staff/outreach/links/{ids['link']}",
        f"/staff/outreach/links/{ids['link']}/poster", f"/staff/outreach/campaigns/{ids['campaign']}",
        "/staff/area", "/staff/sign-in",
    ]
    for url in urls:
        _get_page(client, visits, url)
    # A GET to a form's POST-only address: the generic error page (as a 500 would show it).
    _get_page(client, visits, "/track/withdraw", expect=405)
    # A single sign-on answer with no sign-in started: refused, with the reason in plain words.
    visits.check("GET /staff/sign-in/oidc/callback", client.get("/staff/sign-in/oidc/callback?code=x&state=y"))


def test_every_page_template_renders_with_a_title_and_its_language(
    web_app: FastAPI, client: TestClient, session: Session, visits: Visits
) -> None:
    # Before any area exists, every page says the site is not set up yet.
    _get_page(client, visits, "/", expect=503)
    town = _build_town(session)

    _public_pages(client, visits, town)
    _report_screens(client, visits)
    _workshop_participant(web_app, visits, town)

    with TestClient(web_app, follow_redirects=False) as staff:
        sign_in(staff, town.admin_email, area="brackenford")  # the sign-in, code and area-choice pages
        _staff_pages(staff, visits, town)
    with TestClient(web_app, follow_redirects=False) as facilitator:
        sign_in(facilitator, town.limited_email)  # sets up a code on the way in
        _get_page(facilitator, visits, "/staff/moderation", expect=403)  # not a moderator: told so plainly

    assert visits.problems == [], "\n".join(visits.problems)
    missing = sorted(page_templates() - visits.rendered - set(NOT_REACHABLE_HERE))
    assert missing == [], (
        f"page templates no URL in {Path(__file__).name} rendered: {missing}. "
        "Add a URL that shows each one (or, if it truly cannot be reached here, a reason in NOT_REACHABLE_HERE)."
    )
    stale = sorted(set(NOT_REACHABLE_HERE) - page_templates())
    assert stale == [], f"NOT_REACHABLE_HERE names templates that no longer exist: {stale}"


def test_the_not_found_page_is_in_the_readers_language(client: TestClient, session: Session) -> None:
    make_area(session, locales="en,cy,ar")
    visits = Visits()
    for url, status in (("/no-such-page?lang=ar", 404), ("/track/withdraw?lang=ar", 405)):
        response = client.get(url)
        assert response.status_code == status
        visits.check(f"GET {url}", response, rtl=True)
    assert visits.problems == []


def test_a_page_template_missing_from_the_urls_would_be_named() -> None:
    """The check itself: the list of page templates is what the rule says it is."""
    pages = page_templates()
    assert "reports/form.html" in pages and "reports/steps/where.html" in pages
    assert not any(name.startswith("email/") or name.split("/")[-1].startswith("_") for name in pages)
    assert not pages & LAYOUTS
