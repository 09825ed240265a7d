"""Every public page in every shipped language says which language it is in and which way it reads."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import i18n
from tests.factories import make_area, make_place

PUBLIC_PAGES = ("/", "/report", "/track", "/map", "/you-said-we-did", "/help", "/privacy", "/exit-this-page", "/workshops/join", "/languages")


@pytest.mark.parametrize("locale", i18n.SHIPPED_LOCALES)
def test_every_public_page_has_its_language_and_direction(client: TestClient, session: Session, locale: str) -> None:
    area = make_area(session, locales=",".join(i18n.SHIPPED_LOCALES))
    make_place(session, area)
    direction = "rtl" if locale in i18n.RTL_LOCALES else "ltr"
    for path in PUBLIC_PAGES:
        page = client.get(f"{path}?lang={locale}")
        assert page.status_code == 200, (path, page.status_code)
        html = re.search(r"<html[^>]*>", page.text)
        assert html and f'lang="{locale}"' in html.group(0), (path, html)
        # Left to right is the browser's default, so those pages may leave dir out.
        if direction == "rtl":
            assert 'dir="rtl"' in html.group(0), (path, html)
        else:
            assert 'dir="rtl"' not in html.group(0), (path, html)
        title = re.search(r"<title>(.*?)</title>", page.text, re.S)
        assert title and title.group(1).strip(), path
