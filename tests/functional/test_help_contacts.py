"""The area keeps its own help contacts and the languages each helps in (#13): local services that help
in the page's language come first, marked with its name; the national numbers are on every page in
every language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.audit.models import AuditEvent
from app.core import i18n
from tests.factories import make_area, make_staff
from tests.support import csrf_from, sign_in

PAGE = "/staff/admin/help-contacts"
NATIONAL = (
    'href="tel:999"', 'href="tel:08001111"', 'href="tel:101"', 'href="tel:111"', 'href="tel:08088005000"',
    'href="tel:08088023456"', 'href="https://www.childline.org.uk/"', 'href="https://www.fearless.org/"',
)


def _contact(token: str, **values: Any) -> dict[str, Any]:
    return {
        "csrf_token": token, "key": "", "name": "Brackenford Polish Families Line", "phone": "01632 960321",
        "url": "https://families.brackenford.example/help", "description": "Weekday mornings.", "position": "",
    } | values


def _reload(session: Session, area: Area) -> Area:
    session.expire_all()
    fresh = session.get(Area, area.id)
    assert fresh is not None
    return fresh


def _help_list(client: TestClient, locale: str) -> str:
    """The list of contacts in the help page's main part (the header's help panel has it too)."""
    page = client.get("/help", params={"lang": locale})
    assert page.status_code == 200
    main = page.text[page.text.index("<main"):]
    return main[main.index('<ul class="contacts">'):main.index("</ul>", main.index('<ul class="contacts">'))]


def _admin(client: TestClient, session: Session, **area_values: Any) -> tuple[Area, str]:
    area = make_area(session, locales=",".join(i18n.SHIPPED_LOCALES), **area_values)
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get(PAGE)
    assert page.status_code == 200
    return area, csrf_from(page.text)


def test_only_area_admins_keep_the_help_contacts(client: TestClient, session: Session) -> None:
    area = make_area(session)
    moderator = make_staff(session, area, "moderator", "facilitator", "statutory")
    sign_in(client, moderator.email)
    assert client.get(PAGE).status_code == 403
    token = csrf_from(client.get("/staff/moderation").text)
    assert client.post(PAGE, data=_contact(token)).status_code == 403
    assert client.post(f"{PAGE}/remove", data={"csrf_token": token, "key": "anything"}).status_code == 403
    assert _reload(session, area).help_contacts == area.help_contacts


def test_signed_out_people_are_sent_to_sign_in(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    area, token = _admin(client, session)
    response = client.post(PAGE, data=_contact(token) | {"csrf_token": ""})
    assert response.status_code in (400, 403)
    assert len(_reload(session, area).help_contacts) == 1


def test_a_wrong_web_address_or_phone_keeps_what_was_typed_with_a_clear_message(client: TestClient, session: Session) -> None:
    area, token = _admin(client, session)
    refused = client.post(PAGE, data=_contact(token, url="http://families.brackenford.example", phone="call us", languages=["pl", "so"]))
    assert refused.status_code == 400
    assert "Enter the web address starting with https://" in refused.text and 'id="url-error"' in refused.text
    assert "Enter the phone number in numbers" in refused.text and 'id="phone-error"' in refused.text
    assert 'href="#field-url"' in refused.text and 'aria-invalid="true"' in refused.text
    for typed in ('value="Brackenford Polish Families Line"', 'value="http://families.brackenford.example"', 'value="call us"', "Weekday mornings."):
        assert typed in refused.text, typed
    assert re.search(r'name="languages" value="pl" checked', refused.text) and re.search(r'name="languages" value="so" checked', refused.text)
    assert not re.search(r'name="languages" value="ro" checked', refused.text)
    # Neither a phone number nor a web address: people could not reach it.
    unreachable = client.post(PAGE, data=_contact(token, phone="", url=""))
    assert unreachable.status_code == 400 and "Give a phone number or a web address" in unreachable.text
    for wrong in ("https://someone@families.example", "javascript:alert(1)", "https://localhost/help", "ftp://files.example.org"):
        assert client.post(PAGE, data=_contact(token, url=wrong)).status_code == 400, wrong
    bad_language = client.post(PAGE, data=_contact(token, languages=["xx"]))
    assert bad_language.status_code == 400 and "Choose the languages from the list" in bad_language.text
    assert client.post(PAGE, data=_contact(token, name="  ")).status_code == 400
    assert client.post(PAGE, data=_contact(token, position="first")).status_code == 400
    assert _reload(session, area).help_contacts == area.help_contacts


def test_saved_contacts_come_first_in_their_own_language_with_its_name(client: TestClient, session: Session) -> None:
    area, token = _admin(client, session)
    polish = client.post(PAGE, data=_contact(token, languages=["pl", "ro"], url="families.brackenford.example/help", phone="01632-960321"))
    assert polish.status_code == 303 and polish.headers["location"] == f"{PAGE}?done=added"
    interpreter = client.post(PAGE, data=_contact(token, name="Brackenford Advice Centre", phone="01632 960654", url="", languages=["interpreter"]))
    assert interpreter.status_code == 303
    stored = _reload(session, area).help_contacts
    assert [c["name"] for c in stored] == ["Brackenford Youth Hub", "Brackenford Polish Families Line", "Brackenford Advice Centre"]
    assert stored[1]["url"] == "https://families.brackenford.example/help" and stored[1]["phone"] == "01632 960321"
    assert stored[1]["languages"] == "pl,ro"

    english = _help_list(client, "en")
    # In English nobody says they help in English here: those with an interpreter first, then the area's order.
    names = ("Brackenford Advice Centre", "Brackenford Youth Hub", "Brackenford Polish Families Line")
    assert [english.index(name) for name in names] == sorted(english.index(name) for name in names)
    assert "Polski" not in english
    assert '<a href="tel:01632960321" dir="ltr">01632 960321</a>' in english
    assert '<a href="https://families.brackenford.example/help" rel="noreferrer">Brackenford Polish Families Line</a>' in english

    polish_page = _help_list(client, "pl")
    names = ("Brackenford Polish Families Line", "Brackenford Advice Centre", "Brackenford Youth Hub")
    assert [polish_page.index(name) for name in names] == sorted(polish_page.index(name) for name in names)
    line = polish_page[polish_page.index("Brackenford Polish Families Line") - 120:polish_page.index("Brackenford Polish Families Line") + 200]
    assert '<span class="tag">' in line and "Polski" in line
    # The national numbers stay first, in Polish as in every language.
    assert polish_page.index('href="tel:08001111"') < polish_page.index("Brackenford Polish Families Line")

    romanian = _help_list(client, "ro")
    assert "Română" in romanian and romanian.index("Brackenford Polish Families Line") < romanian.index("Brackenford Youth Hub")
    somali = _help_list(client, "so")
    names = ("Brackenford Advice Centre", "Brackenford Youth Hub", "Brackenford Polish Families Line")
    assert [somali.index(name) for name in names] == sorted(somali.index(name) for name in names)
    assert "Polski" not in somali

    event = session.exec(select(AuditEvent).where(AuditEvent.action == "area.help_contact_added").order_by(col(AuditEvent.id))).first()
    assert event is not None and event.detail["languages"] == ["pl", "ro"] and event.detail["contacts"] == 2
    assert "01632" not in str(event.detail) and "Polish Families" not in str(event.detail)


def test_an_admin_changes_reorders_and_removes_a_contact(client: TestClient, session: Session) -> None:
    area, token = _admin(client, session)
    assert client.post(PAGE, data=_contact(token, languages=["ar"])).status_code == 303
    stored = _reload(session, area).help_contacts
    old_key = {c["name"]: c.get("key") for c in stored}
    new_key = old_key["Brackenford Polish Families Line"]
    assert new_key

    # The older entry (saved before there was a screen, without a key) can be changed too.
    listing = client.get(PAGE).text
    legacy = re.search(r'\?edit=(w[0-9a-f]+)#change', listing)
    assert legacy, "the older entry has no Change link"
    form = client.get(PAGE, params={"edit": legacy.group(1)}).text
    assert 'value="Brackenford Youth Hub"' in form and 'name="key" value="' + legacy.group(1) in form
    changed = client.post(PAGE, data=_contact(token, key=legacy.group(1), name="Brackenford Youth Hub", phone="01632 960123", url="",
                                              description="Youth workers, every evening.", languages=["en", "ur"], position="5"))
    assert changed.status_code == 303 and changed.headers["location"] == f"{PAGE}?done=changed"
    stored = _reload(session, area).help_contacts
    assert [c["name"] for c in stored] == ["Brackenford Polish Families Line", "Brackenford Youth Hub"]
    assert stored[1]["description"] == "Youth workers, every evening." and stored[1]["languages"] == "en,ur"
    assert "Youth workers, every evening." in client.get("/help").text

    # Back to the top by its number.
    assert client.post(PAGE, data=_contact(token, key=stored[1]["key"], name="Brackenford Youth Hub", phone="01632 960123", url="", position="1")).status_code == 303
    assert [c["name"] for c in _reload(session, area).help_contacts] == ["Brackenford Youth Hub", "Brackenford Polish Families Line"]

    removed = client.post(f"{PAGE}/remove", data={"csrf_token": token, "key": new_key})
    assert removed.status_code == 303 and removed.headers["location"] == f"{PAGE}?done=removed"
    assert [c["name"] for c in _reload(session, area).help_contacts] == ["Brackenford Youth Hub"]
    assert "Brackenford Polish Families Line" not in client.get("/help", params={"lang": "ar"}).text
    assert "Removed from the help pages." in client.get(f"{PAGE}?done=removed").text

    # Removed already (by someone else, say): nothing breaks, and a change to it can be saved as new.
    assert client.post(f"{PAGE}/remove", data={"csrf_token": token, "key": new_key}).headers["location"] == f"{PAGE}?done=gone"
    gone = client.post(PAGE, data=_contact(token, key=new_key))
    assert gone.status_code == 400 and "Someone else removed this contact" in gone.text and 'name="key" value=""' in gone.text
    moved = session.exec(select(AuditEvent).where(AuditEvent.action == "area.help_contact_changed").order_by(col(AuditEvent.id))).all()
    assert [event.detail["changed"] for event in moved] == [["description", "languages", "position"], ["description", "languages", "position"]]
    actions = session.exec(select(AuditEvent.action).where(col(AuditEvent.action).startswith("area.help_contact_"))).all()
    assert sorted(set(actions)) == ["area.help_contact_added", "area.help_contact_changed", "area.help_contact_removed"]


def test_the_safeguarding_settings_page_leads_to_the_help_contacts(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/admin/safeguarding")
    assert f'href="{PAGE}"' in page.text
    # Its questions come from the shared form macros: each control is field-<name>, linked to its hint.
    assert 'id="field-safeguarding_emails"' in page.text and 'aria-describedby="safeguarding_emails-hint"' in page.text
    assert '<span lang="cy">Cymraeg</span>' in page.text


@pytest.mark.parametrize("locale", i18n.SHIPPED_LOCALES)
def test_the_help_page_carries_the_national_numbers_in_every_language(client: TestClient, session: Session, locale: str) -> None:
    make_area(session, locales=",".join(i18n.SHIPPED_LOCALES))
    page = client.get("/help", params={"lang": locale})
    assert page.status_code == 200
    for link in NATIONAL:
        assert link in page.text, (locale, link)
    assert '<a href="tel:111" dir="ltr">111</a>' in page.text
    assert 'href="tel:01632960123"' in page.text  # the area's own contact, without languages, still listed
