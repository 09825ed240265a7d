"""One taxonomy: a category an area adds (and its own words for it, in its languages) is what every
screen, export and the API show, never the raw code or the platform's defaults."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session

from app.areas.models import Area
from app.register.models import Context
from app.reports.models import Report
from app.taxonomy import service as taxonomy
from tests.factories import make_area, make_context, make_published, make_staff
from tests.support import sign_in

ENGLISH = "Dark underpass with no one around"
WELSH = "Tanffordd dywyll heb neb o gwmpas"


def _area_with_its_own_category(session: Session) -> tuple[Area, str]:
    """The area adds an unsafe category in English, then writes its Welsh words: two versions."""
    area = make_area(session)
    taxonomy.save_version(
        session, area, actor_id=None, kind="unsafe", locale="en", labels={}, added=[ENGLISH]
    )
    session.commit()
    code = next(
        code
        for code, label in taxonomy.current_categories(session, area, "unsafe", "en")
        if label == ENGLISH
    )
    taxonomy.save_version(
        session, area, actor_id=None, kind="unsafe", locale="cy", labels={f"category:{code}": WELSH}
    )
    session.commit()
    return area, code


def _published(session: Session, area: Area, code: str) -> tuple[Context, Report]:
    underpass = make_context(session, area, "Station underpass")
    report = make_published(
        session, area, underpass, categories=[code, "poor_lighting"], time_bands=["evening"]
    )
    assert report.category_list == [code, "poor_lighting"]  # the area's code was accepted
    return underpass, report


def test_every_staff_screen_shows_the_areas_own_words_in_english_and_welsh(
    client: TestClient, session: Session
) -> None:
    area, code = _area_with_its_own_category(session)
    underpass, report = _published(session, area, code)
    sign_in(client, make_staff(session, area, "moderator", "statutory").email)

    pages = {
        "register list": f"/staff/register?theme={code}",
        "context page": f"/staff/register/contexts/{underpass.id}",
        "moderation entry": f"/staff/moderation/{report.id}",
    }
    for name, path in pages.items():
        english = client.get(path)
        assert english.status_code == 200, name
        assert ENGLISH in english.text and code not in _visible(english.text, code), name
        welsh = client.get(path + ("&" if "?" in path else "?") + "lang=cy")
        assert str(escape(WELSH)) in welsh.text, name
        assert "Golau gwael" in welsh.text, name  # a default category, in its existing Welsh words
    # The theme filter offers the area's own category by its words.
    listing = client.get("/staff/register").text
    assert re.search(rf'<option value="{code}"[^>]*>{ENGLISH}</option>', listing)


def _visible(html: str, code: str) -> str:
    """The page without attribute values (a code may stand in a link or a form field, never as words)."""
    return re.sub(r'="[^"]*"', '=""', html)


def test_the_csv_export_carries_words_in_the_exporting_persons_language(
    client: TestClient, session: Session
) -> None:
    area, code = _area_with_its_own_category(session)
    _published(session, area, code)
    sign_in(client, make_staff(session, area, "statutory").email)

    english = client.get("/staff/register/export.csv")
    assert english.status_code == 200
    row = next(csv.DictReader(io.StringIO(english.text)))
    assert row["categories"] == f"{ENGLISH}; Poor lighting"
    assert (row["context_kind"], row["context_status"], row["entry_kind"], row["time_bands"]) == (
        "Place",
        "New",
        "Unsafe",
        "Evening",
    )
    assert row["source"] == "someone who did not say"
    for raw in (code, "poor_lighting", "unsafe", "evening", "on_panel_agenda", "unknown"):
        assert raw not in english.text.split("\n", 1)[1], (
            raw
        )  # codes only in the header, never in the rows
    assert row["created_at"].endswith("+00:00")  # moments stay ISO 8601 in UTC for machines

    welsh = next(csv.DictReader(io.StringIO(client.get("/staff/register/export.csv?lang=cy").text)))
    assert welsh["categories"] == f"{WELSH}; Golau gwael"
    assert (
        welsh["context_kind"],
        welsh["context_status"],
        welsh["entry_kind"],
        welsh["time_bands"],
    ) == ("Lle", "Newydd", "Anniogel", "Gyda'r nos")


def test_the_panel_csv_names_themes_and_statuses_in_words(
    client: TestClient, session: Session
) -> None:
    area, code = _area_with_its_own_category(session)
    underpass, _report = _published(session, area, code)
    underpass.flagged_for_panel, underpass.status = True, "on_panel_agenda"
    session.add(underpass)
    session.commit()
    sign_in(client, make_staff(session, area, "statutory").email)
    row = next(csv.DictReader(io.StringIO(client.get("/staff/register/panel.csv").text)))
    assert f"{ENGLISH} (1)" in row["top_themes"] and "Poor lighting (1)" in row["top_themes"]
    assert (row["kind"], row["status"], row["peak_time"]) == ("Place", "On panel agenda", "Evening")
    assert code not in row["top_themes"]


def test_the_api_lists_the_areas_categories_with_their_words(
    client: TestClient, session: Session
) -> None:
    area, code = _area_with_its_own_category(session)
    taxonomy.save_version(
        session, area, actor_id=None, kind="unsafe", locale="en", labels={}, hidden={"online"}
    )
    session.commit()

    body = client.get("/api/v1/taxonomy").json()
    assert body["area"] == area.slug and body["locale"] == "en" and body["version"] == 3
    assert code in body["categories"]["unsafe"] and "online" not in body["categories"]["unsafe"]
    assert {"code": code, "label": ENGLISH} in body["category_labels"]["unsafe"]
    assert {"code": "poor_lighting", "label": "Poor lighting"} in body["category_labels"]["unsafe"]
    assert {"code": "unsafe", "label": "Somewhere I feel unsafe"} in body["kind_labels"]

    welsh = client.get("/api/v1/taxonomy?lang=cy").json()
    assert welsh["locale"] == "cy"
    assert {"code": code, "label": WELSH} in welsh["category_labels"]["unsafe"]
    assert {"code": "poor_lighting", "label": "Golau gwael"} in welsh["category_labels"]["unsafe"]
    assert (
        client.get("/api/v1/taxonomy", headers={"accept-language": "cy"}).json()["locale"] == "cy"
    )

    schema = client.get("/openapi.json").json()
    documented = schema["components"]["schemas"]["Taxonomy"]["properties"]
    assert {"category_labels", "kind_labels", "version", "locale"} <= set(documented)
    assert documented["category_labels"]["description"]


def test_an_old_entry_keeps_its_words_and_the_register_uses_the_words_in_force(
    client: TestClient, session: Session
) -> None:
    area, code = _area_with_its_own_category(session)
    underpass, old = _published(session, area, code)
    taxonomy.save_version(
        session,
        area,
        actor_id=None,
        kind="unsafe",
        locale="en",
        labels={f"category:{code}": "Underpass: unlit and empty"},
        hidden={code},
    )
    session.commit()

    names = taxonomy.category_names(session, area.id or 0, locale="en")
    assert names.for_report(old) == [ENGLISH, "Poor lighting"]  # answered with version 2's words
    assert names(code) == "Underpass: unlit and empty"  # the version in force, though hidden now
    assert names("poor_lighting", None) == "Poor lighting"  # answered before the area had a version
    assert names("never_heard_of") == "never_heard_of"

    sign_in(client, make_staff(session, area, "statutory").email)
    page = client.get(f"/staff/register/contexts/{underpass.id}").text
    assert "Underpass: unlit and empty" in page  # the themes table
    assert ENGLISH in page  # the entry, in the words it was answered with


def test_another_areas_category_words_never_show(session: Session) -> None:
    area, _code = _area_with_its_own_category(session)
    other = make_area(session, "elsewhere")
    taxonomy.save_version(
        session,
        other,
        actor_id=None,
        kind="unsafe",
        locale="en",
        labels={"category:poor_lighting": "Their own words"},
    )
    session.commit()
    names = taxonomy.category_names(session, area.id or 0, locale="en")
    assert names("poor_lighting") == "Poor lighting"
    assert (
        names("poor_lighting", taxonomy.current_version_id(session, other.id or 0))
        == "Poor lighting"
    )


def test_nothing_reads_category_words_from_the_defaults_directly() -> None:
    """CATEGORIES is what a new area starts with: only the taxonomy itself (and the fictional demo
    data) import it; every reader asks the area's taxonomy (app.taxonomy.service.category_names)."""
    imports = re.compile(r"^from app\.reports\.taxonomy import (?P<names>[^\n(]+)", re.MULTILINE)
    offenders = []
    for path in Path("app").rglob("*.py"):
        for found in imports.finditer(path.read_text()):
            names = {name.strip() for name in found["names"].split(",")}
            if names & {"CATEGORIES", "category_label"} and path.as_posix() not in {
                "app/taxonomy/defaults.py",
                "app/demo/generate.py",
            }:
                offenders.append(path.as_posix())
    assert offenders == []
