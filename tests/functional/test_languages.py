"""Every public page in every known language: lang and dir on <html>, the chooser, Accept-Language."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import i18n
from tests.factories import make_area
from tests.support import csrf_from

PUBLIC_PAGES = [
    "/", "/report", "/track", "/map", "/you-said-we-did", "/workshops/join",
    "/help", "/privacy", "/exit-this-page", "/languages",
]
EVERY_LANGUAGE = ",".join(i18n.LOCALES)
_HTML = re.compile(r"<html[^>]*>")


def _html_tag(page: str) -> str:
    match = _HTML.search(page)
    assert match, "no <html> element"
    return match.group(0)


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_public_page_has_the_language_and_direction_of_its_locale(client: TestClient, session: Session, locale: str) -> None:
    make_area(session, locales=EVERY_LANGUAGE)
    expected = f'<html lang="{locale}" dir="rtl">' if locale in ("ar", "ur") else f'<html lang="{locale}">'
    for path in PUBLIC_PAGES:
        response = client.get(path, params={"lang": locale})
        assert response.status_code == 200, path
        assert _html_tag(response.text) == expected, path
        assert re.search(r"<title>[^<]+ – Brackenford</title>", response.text), path
        assert "data-exit-this-page" in response.text, path


def test_the_chooser_offers_every_shipped_language_the_area_switched_on_by_its_own_name(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(i18n, "SHIPPED_LOCALES", i18n.LOCALES)
    make_area(session, locales=EVERY_LANGUAGE)
    page = client.get("/").text
    for code in i18n.LOCALES:
        if code == "en":
            continue
        direction = "rtl" if code in ("ar", "ur") else "ltr"
        link = f'href="/language/{code}?next=/" lang="{code}" hreflang="{code}" dir="{direction}">{i18n.LOCALE_NAMES[code]}</a>'
        assert link in page, code


def test_languages_still_being_translated_are_not_offered(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "SHIPPED_LOCALES", ("en", "cy"))  # as if the others were still being translated
    make_area(session, locales=EVERY_LANGUAGE)
    page = client.get("/").text
    assert ">Cymraeg</a>" in page
    for code in i18n.LOCALES:
        if code not in i18n.SHIPPED_LOCALES:
            assert f'href="/language/{code}' not in page, code


def test_a_language_the_area_has_not_switched_on_is_not_offered(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "SHIPPED_LOCALES", i18n.LOCALES)
    make_area(session, locales="en,ur")
    page = client.get("/").text
    assert ">اردو</a>" in page and "Cymraeg" not in page.split("<main", 1)[0]


@pytest.mark.parametrize(("header", "expected"), [("ur-PK,ur;q=0.9,en;q=0.5", '<html lang="ur" dir="rtl">'), ("ar-EG", '<html lang="ar" dir="rtl">'), ("pl-PL", '<html lang="pl">')])
def test_the_browser_language_picks_a_shipped_language(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch, header: str, expected: str
) -> None:
    monkeypatch.setattr(i18n, "SHIPPED_LOCALES", i18n.LOCALES)
    make_area(session, locales=EVERY_LANGUAGE)
    assert _html_tag(client.get("/", headers={"accept-language": header}).text) == expected


def test_the_browser_language_alone_never_lands_on_an_unfinished_translation(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "SHIPPED_LOCALES", ("en", "cy", "pl", "ur", "ro", "so"))  # Arabic unfinished
    make_area(session, locales=EVERY_LANGUAGE)
    assert _html_tag(client.get("/", headers={"accept-language": "ar-EG,ar;q=0.9"}).text) == '<html lang="en">'


def test_a_chosen_language_is_remembered_from_page_to_page(client: TestClient, session: Session) -> None:
    make_area(session, locales=EVERY_LANGUAGE)
    response = client.get("/language/ur?next=/track")
    assert response.status_code == 303 and response.cookies.get("sm_lang") == "ur"
    assert _html_tag(client.get("/track").text) == '<html lang="ur" dir="rtl">'


def test_switching_to_arabic_mid_report_keeps_every_answer(client: TestClient, session: Session) -> None:
    make_area(session, locales=EVERY_LANGUAGE)
    page = client.get("/report")
    submission = re.search(r'name="submission_token" value="([^"]+)"', page.text)
    assert submission
    answers = {"kind": "unsafe", "location_text": "behind the shops", "description": "Dark and empty."}
    data = {"csrf_token": csrf_from(page.text), "submission_token": submission.group(1), "step": "what", "go": "language:ar"} | answers
    response = client.post("/report", data=data)
    assert response.status_code == 200
    assert _html_tag(response.text) == '<html lang="ar" dir="rtl">'
    assert "Dark and empty." in response.text and 'value="behind the shops"' in response.text
    assert response.cookies.get("sm_lang") == "ar"


def test_phone_numbers_keep_left_to_right_order_in_right_to_left_pages(client: TestClient, session: Session) -> None:
    make_area(session, locales=EVERY_LANGUAGE)
    page = client.get("/help", params={"lang": "ar"}).text
    assert '<a href="tel:08001111" dir="ltr">0800 1111</a>' in page
    assert '<a href="tel:01632960123" dir="ltr">01632 960123</a>' in page  # the area's own contacts too


def test_the_languages_page_says_what_awaits_a_fluent_reviewer(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    make_area(session, locales=EVERY_LANGUAGE)
    page = client.get("/languages").text
    for code in i18n.LOCALES:
        if code != "en":
            assert f'<span lang="{code}"' in page, code
    assert "Not yet: being translated" not in page  # every known language is shipped now
    monkeypatch.setattr(i18n, "SHIPPED_LOCALES", ("en", "cy"))
    assert "Not yet: being translated" in client.get("/languages").text
    welsh = i18n.catalogue_status("cy")
    assert welsh.reviewed == 0 and f"0 of {welsh.strings:,}" in page
