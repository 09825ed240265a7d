"""A moderator's working day over HTTP (issue #14, and the staff side of languages, #13.4): where an
entry is about, linking it to the right context, who did what, the queue's excerpts and languages,
and the confirmation after a decision."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import h3
import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from app.areas.models import Area
from app.core.config import Settings
from app.core.db import Database
from app.core.types import utcnow
from app.register.models import Action
from app.reports import service as reports
from app.reports.models import Report
from tests.conftest import TEST_SECRET
from tests.factories import (
    make_area,
    make_context,
    make_place,
    make_report,
    make_staff,
    report_data,
)
from tests.functional import test_live_multiprocess as multiprocess
from tests.support import csrf_from, free_port, sign_in

# Two real app processes sharing PostgreSQL and Redis, as the workshop wall's own test starts them.
shared_postgres = multiprocess.shared_postgres
shared_redis = multiprocess.shared_redis


def _moderator(client: TestClient, session: Session, area: Area, name: str = "Test Staff") -> Any:
    user = make_staff(session, area, "moderator")
    user.display_name = name
    session.add(user)
    session.commit()
    sign_in(client, user.email)
    return user


def _section(page: str, start: str, end: str) -> str:
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def _where(page: str) -> str:
    return _section(page, "<dt>Where</dt>", "<dt>Language</dt>")


def _radios(page: str) -> list[tuple[str, bool]]:
    """The context radios in page order: (context id, checked)."""
    return [
        (match.group(1), "checked" in match.group(2))
        for match in re.finditer(
            r'<input type="radio" name="context_id" value="(\d+)"([^>]*)>', page
        )
    ]


def _submit(session: Session, area: Area, *, language: str = "en", **fields: Any) -> Report:
    return reports.submit_report(session, area, report_data(**fields), language=language).report


# --- Where -------------------------------------------------------------------------------------


def test_the_chosen_place_is_named_with_their_words_and_no_cell_as_the_where(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    park = make_place(session, area, "Victoria Park")
    report = make_report(
        session, area, place_id=park.id, location_text="by the gates near the skate ramp"
    )
    assert report.h3_cell
    _moderator(client, session, area)
    page = client.get(f"/staff/moderation/{report.id}").text
    where = _where(page)
    assert "Victoria Park" in where and "by the gates near the skate ramp" in where
    # The cell is only a technical detail, never the where itself.
    assert report.h3_cell not in where.split("<details")[0]
    assert "map cell" not in page


def test_a_point_on_the_map_is_described_as_near_the_nearest_named_place(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    make_place(session, area, "Victoria Park", lat=52.576, lng=-1.986)
    make_place(session, area, "Brackenford Station", lat=52.600, lng=-2.040)
    report = make_report(session, area, lat=52.5765, lng=-1.9855, location_text="")
    _moderator(client, session, area)
    where = _where(client.get(f"/staff/moderation/{report.id}").text)
    assert "Near Victoria Park" in where
    assert "Brackenford Station" not in where
    assert report.h3_cell and report.h3_cell not in where.split("<details")[0]


# --- Linking to a context ----------------------------------------------------------------------


def test_the_context_at_the_chosen_place_is_preselected_and_the_rest_come_nearest_first(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    park = make_place(session, area, "Victoria Park", lat=52.576, lng=-1.986)
    cell = h3.latlng_to_cell(park.lat, park.lng, area.h3_resolution)
    far = make_context(
        session, area, "Canal Walk", h3_cell=h3.latlng_to_cell(52.605, -2.045, area.h3_resolution)
    )
    near = make_context(
        session,
        area,
        "Bus shelter on Mill Lane",
        h3_cell=next(c for c in h3.grid_disk(cell, 1) if c != cell),
    )
    middle = make_context(
        session,
        area,
        "Library steps",
        h3_cell=h3.latlng_to_cell(52.592, -2.012, area.h3_resolution),
    )
    at_park = make_context(session, area, "Play area", place_id=park.id, h3_cell=cell)
    report = make_report(session, area, place_id=park.id, location_text="")
    _moderator(client, session, area)
    page = client.get(f"/staff/moderation/{report.id}").text
    radios = _radios(page)
    assert [r[0] for r in radios] == [str(at_park.id), str(near.id), str(middle.id), str(far.id)]
    assert radios[0][1] and not any(checked for _id, checked in radios[1:])
    assert "at the place the person chose" in page
    assert (
        'name="context_id" value="" checked' not in page
    )  # "a new context" is not chosen for them


def test_a_context_in_the_same_map_cell_is_preselected_when_no_place_was_chosen(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area, lat=52.5765, lng=-1.9855, location_text="")
    other = make_context(
        session, area, "Canal Walk", h3_cell=h3.latlng_to_cell(52.605, -2.045, area.h3_resolution)
    )
    same = make_context(session, area, "Corner by the chip shop", h3_cell=report.h3_cell)
    _moderator(client, session, area)
    radios = _radios(client.get(f"/staff/moderation/{report.id}").text)
    assert radios[0] == (str(same.id), True)
    assert (str(other.id), False) in radios


def test_searching_contexts_by_name_filters_the_list_with_and_without_javascript(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    for name in (
        "Canal Walk",
        "Canal towpath",
        "High Street",
        "Market Square",
        "Station car park",
        "Leisure centre",
        "Skate park",
        "Library steps",
        "Bus station",
        "Park Road underpass",
    ):
        make_context(
            session, area, name, h3_cell=h3.latlng_to_cell(52.59, -2.0, area.h3_resolution)
        )
    report = make_report(session, area)
    _moderator(client, session, area)
    full = client.get(f"/staff/moderation/{report.id}").text
    assert len(_radios(full)) == 8  # a short list at first
    assert 'form="context-search"' in full and '<form id="context-search" method="get"' in full
    # Without JavaScript: the GET form reloads the page with the matches.
    plain = client.get(f"/staff/moderation/{report.id}", params={"context_q": "canal"}).text
    names = re.findall(
        r'<input type="radio" name="context_id" value="\d+"[^>]*><span><bdi dir="auto">([^<]+)</bdi>',
        plain,
    )
    assert sorted(names) == ["Canal Walk", "Canal towpath"]
    assert 'value="canal"' in plain
    # With htmx: only the list comes back, for the same URL.
    fragment = client.get(
        f"/staff/moderation/{report.id}",
        params={"context_q": "STATION"},
        headers={"HX-Request": "true", "HX-Target": "div#context-choices"},
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="context-choices"' in fragment.text
    names = re.findall(r"<bdi dir=\"auto\">([^<]+)</bdi>", fragment.text)
    assert sorted(names) == ["Bus station", "Station car park"]
    nothing = client.get(
        f"/staff/moderation/{report.id}", params={"context_q": "zebra crossing"}
    ).text
    assert "No context in this area has “zebra crossing” in its name." in nothing


def test_contexts_of_another_area_are_never_offered_or_found(
    client: TestClient, session: Session
) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    make_context(session, other, "Canal Walk")
    report = make_report(session, home)
    _moderator(client, session, home)
    page = client.get(f"/staff/moderation/{report.id}", params={"context_q": "canal"}).text
    assert "Canal Walk" not in page


# --- Who did what ------------------------------------------------------------------------------


def test_the_entry_shows_who_decided_what_when_and_why(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area, name="Amira Khan")
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    assert (
        client.post(f"/staff/moderation/{report.id}/claim", data={"csrf_token": token}).status_code
        == 303
    )
    response = client.post(
        f"/staff/moderation/{report.id}/reject",
        data={"csrf_token": token, "version": "2", "reason": "duplicate"},
    )
    assert response.status_code == 303
    page = client.get(f"/staff/moderation/{report.id}").text
    history = _section(page, 'id="history-h"', "</table>")
    rows = re.findall(r"<tr>(.*?)</tr>", history, flags=re.S)
    steps = [re.sub(r"<[^>]+>", " ", row) for row in rows]
    assert any("The person who reported it" in s and "Sent in" in s for s in steps)
    rejected = next(s for s in steps if "Not published" in s)
    assert "Amira Khan" in rejected and "Duplicate of another entry" in rejected
    assert any("Amira Khan" in s and "Taken on" in s for s in steps)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', history)


def test_the_list_of_entries_not_published_shows_each_reason(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    spam = make_report(session, area, description="buy cheap trainers here www example")
    elsewhere = make_report(session, area, description="This is in the next town over, not here.")
    _moderator(client, session, area)
    token = csrf_from(client.get(f"/staff/moderation/{spam.id}").text)
    client.post(
        f"/staff/moderation/{spam.id}/reject",
        data={"csrf_token": token, "version": "1", "reason": "spam"},
    )
    client.post(
        f"/staff/moderation/{elsewhere.id}/reject",
        data={"csrf_token": token, "version": "1", "reason": "not_in_area"},
    )
    page = client.get("/staff/moderation", params={"status": "rejected"}).text
    assert "Why not published" in page
    assert re.search(rf'id="queue-entry-{spam.id}".*?Spam or nonsense', page, flags=re.S)
    assert re.search(rf'id="queue-entry-{elsewhere.id}".*?Not in this area', page, flags=re.S)


def test_a_you_said_we_did_draft_waiting_for_a_moderator_shows_in_the_queue(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    context = make_context(session, area, "Canal Walk")
    assert area.id is not None and context.id is not None
    session.add(
        Action(
            area_id=area.id,
            context_id=context.id,
            title="New lighting on the towpath",
            owner_organisation="Council",
            public_summary="You said the towpath was dark. The council put in new lights.",
        )
    )
    session.add(
        Action(
            area_id=area.id,
            context_id=context.id,
            title="Already out",
            owner_organisation="Council",
            public_summary="Published already.",
            published_at=utcnow(),
        )
    )
    session.add(
        Action(
            area_id=area.id,
            context_id=context.id,
            title="No summary yet",
            owner_organisation="Council",
        )
    )
    session.commit()
    _moderator(client, session, area)
    page = client.get("/staff/moderation").text
    assert "1 “You said, we did” draft is waiting for a moderator" in page
    drafts = _section(page, 'id="summaries-h"', "</section>")
    assert f'href="/staff/register/contexts/{context.id}#actions"' in drafts
    assert "New lighting on the towpath" in drafts
    assert "Already out" not in drafts and "No summary yet" not in drafts


def test_publishing_lands_on_a_confirmation_that_says_what_happened(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    page = client.get(f"/staff/moderation/{report.id}").text
    public = re.search(r'<textarea name="public_description"[^>]*>([^<]*)</textarea>', page)
    assert public
    response = client.post(
        f"/staff/moderation/{report.id}/publish",
        data={
            "csrf_token": csrf_from(page),
            "version": "1",
            "public_description": public.group(1),
            "public_what_would_help": "",
            "context_id": "",
            "new_context_name": "Canal Walk",
        },
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/staff/moderation?done=published&entry={report.id}"
    landed = client.get(location).text
    status = _section(landed, 'role="status"', "</div>")
    assert f"Entry #{report.id} is published to the register" in status and "Canal Walk" in status
    assert f'href="/staff/moderation/{report.id}"' in status
    assert "Older lads" not in location  # what was reported never goes in a URL


def test_a_refused_publish_comes_back_as_the_moderator_left_it(
    client: TestClient, session: Session
) -> None:
    area, other = make_area(session), make_area(session, "other-town")
    theirs = make_context(session, other, "Their Park")
    report = make_report(
        session, area, description="The park is dark at night. Text me on 07700 900123 if you need more."
    )
    assert [s["kind"] for s in report.suggested_redactions] == ["phone"]
    _moderator(client, session, area)
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    response = client.post(
        f"/staff/moderation/{report.id}/publish",
        data={
            "csrf_token": token,
            "version": str(report.version),
            "public_description": "The park is dark at night, by the lake.",
            "public_what_would_help": "More lights",
            "context_id": str(theirs.id),  # not in this area
            "new_context_name": "Lake path",
            "show_on_map": "yes",
            # the phone redaction left unticked, and a box the page never offered
            "accept_what_would_help": ["seven"],
        },
    )
    assert response.status_code == 422
    page = response.text
    assert "That context is not in your area." in page
    assert "The park is dark at night, by the lake.</textarea>" in page
    assert "More lights</textarea>" in page
    assert 'name="new_context_name" id="new_context_name" value="Lake path"' in page
    assert '<input type="checkbox" name="show_on_map" value="yes" checked>' in page
    assert re.search(r'<input type="checkbox" name="accept_description" value="0"\s*>', page)
    assert "Their Park" not in page
    session.expire_all()
    assert session.get(Report, report.id).status == "pending"  # type: ignore[union-attr]


def test_bulk_rejection_takes_the_ticked_entries_and_ignores_anything_else(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    spam = make_report(session, area, description="buy cheap trainers at my shop now now now")
    kept = make_report(session, area)
    _moderator(client, session, area)
    token = csrf_from(client.get("/staff/moderation").text)
    response = client.post(
        "/staff/moderation/bulk",
        data={"csrf_token": token, "action": "reject_spam", "report_id": [str(spam.id), "", "abc", str(2**40)]},
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/moderation"
    session.expire_all()
    assert session.get(Report, spam.id).status == "rejected"  # type: ignore[union-attr]
    assert session.get(Report, kept.id).status == "pending"  # type: ignore[union-attr]


def test_not_publishing_lands_on_a_confirmation_with_the_reason(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _moderator(client, session, area)
    token = csrf_from(client.get(f"/staff/moderation/{report.id}").text)
    response = client.post(
        f"/staff/moderation/{report.id}/reject",
        data={"csrf_token": token, "version": "1", "reason": "duplicate"},
    )
    landed = client.get(response.headers["location"]).text
    status = _section(landed, 'role="status"', "</div>")
    assert (
        f"Entry #{report.id} will not be published. Reason: Duplicate of another entry." in status
    )


def test_a_confirmation_link_only_ever_confirms_what_really_happened(
    client: TestClient, session: Session
) -> None:
    area, other = make_area(session, "brackenford"), make_area(session, "northwick")
    waiting = make_report(session, area)
    theirs = make_report(session, other)
    _moderator(client, session, area)
    for entry in (waiting.id, theirs.id, 999999):
        page = client.get("/staff/moderation", params={"done": "published", "entry": entry}).text
        assert "is published to the register" not in page


def test_the_queue_shows_a_short_excerpt_with_personal_details_highlighted(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    long_words = (
        "The underpass by the park is really dark at night. Text me on 07700 900123 if you need more. "
        + "It smells and the lights are broken. " * 10
    )
    report = make_report(session, area, description=long_words)
    _moderator(client, session, area)
    page = client.get("/staff/moderation").text
    row = _section(page, f'id="queue-entry-{report.id}"', "</tr>")
    assert "The underpass by the park is really dark at night." in row
    assert re.search(
        r'<mark class="pii" title="[^"]+">07700 900123<span class="visually-hidden">', row
    )
    assert "…" in row and long_words[-40:] not in row
    assert 'dir="auto"' in row
    title = re.search(r"<title>(.*?)</title>", page, flags=re.S)
    assert title and "underpass" not in title.group(1)


# --- Languages ---------------------------------------------------------------------------------


def test_the_entry_shows_the_forms_language_and_the_words_own_when_they_differ(
    client: TestClient, session: Session
) -> None:
    area = make_area(session, locales="en,cy,pl,ur,ar,ro,so")
    polish_on_english = _submit(
        session,
        area,
        language="en",
        description="Wieczorem w parku jest bardzo ciemno i nie czuję się bezpiecznie.",
    )
    welsh = _submit(
        session,
        area,
        language="cy",
        description="Mae hi'n dywyll iawn yn y parc yn y nos ac dw i ddim yn teimlo'n saff.",
    )
    _moderator(client, session, area)
    page = client.get(f"/staff/moderation/{polish_on_english.id}").text
    language = _section(page, "<dt>Language</dt>", "</dd>")
    assert '<span lang="en">English</span>' in language
    assert '<strong lang="pl">Polski</strong>' in page
    page = client.get(f"/staff/moderation/{welsh.id}").text
    assert '<span lang="cy">Cymraeg</span>' in page
    assert "The words look like:" not in page  # they match the form's language: nothing more to say


def test_the_queue_can_be_filtered_by_the_language_of_the_form(
    client: TestClient, session: Session
) -> None:
    area = make_area(session, locales="en,cy,pl,ur,ar,ro,so")
    english = _submit(session, area, language="en")
    polish = _submit(
        session, area, language="pl", description="Wieczorem w parku jest bardzo ciemno."
    )
    _moderator(client, session, area)
    page = client.get("/staff/moderation").text
    for code, name in (
        ("pl", "Polski"),
        ("cy", "Cymraeg"),
        ("ur", "اردو"),
        ("ar", "العربية"),
        ("ro", "Română"),
        ("so", "Soomaali"),
    ):
        assert f'<option value="{code}" lang="{code}" >{name}</option>' in page
    assert f'id="queue-entry-{english.id}"' in page and f'id="queue-entry-{polish.id}"' in page
    filtered = client.get("/staff/moderation", params={"language": "pl"}).text
    assert (
        f'id="queue-entry-{polish.id}"' in filtered
        and f'id="queue-entry-{english.id}"' not in filtered
    )
    assert '<option value="pl" lang="pl" selected>Polski</option>' in filtered
    # Anything else is no filter at all, not an error.
    assert (
        f'id="queue-entry-{english.id}"'
        in client.get("/staff/moderation", params={"language": "xx"}).text
    )


def test_every_text_the_person_wrote_is_shown_with_its_own_direction(
    client: TestClient, session: Session
) -> None:
    area = make_area(session, locales="en,ar")
    report = _submit(
        session,
        area,
        language="ar",
        location_text="قرب المحطة",
        description="الحديقة مظلمة جدا في الليل ولا أشعر بالأمان هناك.",
        what_would_help="إضاءة أفضل",
    )
    _moderator(client, session, area)
    page = client.get(f"/staff/moderation/{report.id}").text
    for text in ("قرب المحطة", "الحديقة مظلمة جدا", "إضاءة أفضل"):
        before = page[: page.index(text)]
        assert (
            before.rstrip().endswith('dir="auto">') or 'dir="auto"' in before[before.rindex("<") :]
        ), text
    queue = client.get("/staff/moderation").text
    row = _section(queue, f'id="queue-entry-{report.id}"', "</tr>")
    assert '<span dir="auto">الحديقة مظلمة جدا' in row


# --- The queue, live, across app processes -----------------------------------------------------


def test_an_urgent_report_taken_by_one_app_process_reaches_a_queue_open_on_another(
    shared_postgres: str, shared_redis: str, tmp_path: Path
) -> None:
    """Nothing in the stream is kept in one process: it reads what any process committed."""
    db = Database(Settings(database_url=shared_postgres, secret_key=SecretStr(TEST_SECRET)))
    with Session(db.engine, expire_on_commit=False) as setup:
        area = make_area(setup)
        email = make_staff(setup, area, "moderator").email
    db.dispose()
    port_a, port_b = free_port(), free_port()
    processes = [
        multiprocess._start(port_a, shared_postgres, shared_redis, tmp_path / "a"),
        multiprocess._start(port_b, shared_postgres, shared_redis, tmp_path / "b"),
    ]
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    try:
        with httpx.Client(base_url=b, follow_redirects=False) as staff:
            sign_in(staff, email)  # type: ignore[arg-type]  # an httpx.Client drives the app as a TestClient does
            page = staff.get(f"{b}/staff/moderation").text
            start = re.search(r'data-sse-connect="/staff/moderation/events\?after=(\d+)"', page)
            assert start
            queue = multiprocess.Wall(staff, f"{b}/staff/moderation/events?after={start.group(1)}")
            time.sleep(0.5)  # the queue is listening before the report is sent
            sent = httpx.post(
                f"{a}/api/v1/reports",
                json={
                    "kind": "unsafe",
                    "location_text": "the flats on Mill Lane",
                    "submission_token": "m" * 32,
                    "description": "He said if I tell anyone he will hurt my little sister. I'm scared to go home.",
                },
            )
            assert sent.status_code == 201 and sent.json()["urgent"], sent.text[:300]
            deadline = time.monotonic() + 20
            while 'id="queue-entry-' not in queue.text:
                assert time.monotonic() < deadline, (
                    f"no row reached the queue (status {queue.status}): {queue.text[-300:]!r}"
                )
                time.sleep(0.05)
            assert "scared to go home" in queue.text and "Urgent waiting: 1" in queue.text
            queue.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
