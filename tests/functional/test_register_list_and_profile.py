"""The register list and a context's profile: counts, trends, filters, charts with their numbers,
the assessment notes with history, merge and split."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.i18n import format_local_date
from app.core.types import utcnow
from app.register.models import Action, Context, ContextNoteChange, ContextRegrouping
from app.reports.models import Report
from tests.factories import make_area, make_context, make_published, make_staff
from tests.support import csrf_from, page_token, sign_in


def _statutory(client: TestClient, session: Session, area: object, *roles: str) -> None:
    sign_in(client, make_staff(session, area, *(roles or ("statutory",))).email)  # type: ignore[arg-type]


def test_list_shows_counts_trend_themes_and_last_activity(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park", neighbourhood="Eastside")
    for _ in range(3):
        make_published(session, area, park, kind="unsafe", categories=["poor_lighting"])
    make_published(session, area, park, kind="safe", categories=["trusted_adults"], description="The youth workers here are kind.")
    make_published(session, area, park, kind="unsafe", categories=["fights_weapons"], created_at=utcnow() - timedelta(days=200))
    _statutory(client, session, area)
    page = client.get("/staff/register")
    assert page.status_code == 200
    row = re.search(r"Victoria Park</a>.*?</tr>", page.text, re.S)
    assert row is not None
    cells = re.findall(r"<td>(\d+)</td>", row.group(0))
    assert cells[:3] == ["1", "4", "0"]  # safe, unsafe, needs to change: all within the last 12 months
    # The sparkline is an image whose name carries the numbers, oldest month first, ending with this month's 4.
    name = re.search(r'class="sparkline"[^>]*|aria-label="(Entries per month[^"]*)"', row.group(0))
    label = re.search(r'aria-label="(Entries per month[^"]*)"', row.group(0))
    assert name and label and label.group(1).endswith(", 4")
    assert "Poor lighting (3)" in row.group(0)
    # The last entry's day on the area's clock (Europe/London), in words: "1 Dec 2026".
    assert format_local_date(utcnow(), "Europe/London") in row.group(0)
    assert "Eastside" in row.group(0)


def test_filters_and_sort_work_as_plain_get_parameters(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park", neighbourhood="Eastside")
    chat = make_context(session, area, "School group chats", kind="online", h3_cell=None, neighbourhood="Online")
    station = make_context(session, area, "Bus station", neighbourhood="Town centre", status="assessing")
    make_published(session, area, park, kind="unsafe", categories=["poor_lighting"])
    make_published(session, area, chat, kind="unsafe", categories=["online"])
    make_published(session, area, chat, kind="unsafe", categories=["online"])
    make_published(session, area, station, kind="unsafe", categories=["followed_harassed"], created_at=utcnow() - timedelta(days=150))
    _statutory(client, session, area)

    def names(query: str) -> list[str]:
        html = client.get(f"/staff/register?{query}").text
        return re.findall(r'<th scope="row"><a href="/staff/register/contexts/\d+"[^>]*>([^<]+)</a>', html)

    assert names("kind=online") == ["School group chats"]
    assert names("theme=poor_lighting") == ["Victoria Park"]
    assert names("status=assessing") == ["Bus station"]
    assert names("neighbourhood=Eastside") == ["Victoria Park"]
    assert names("q=station") == ["Bus station"]
    assert names("period=3m&theme=followed_harassed") == []
    assert names("period=12m&theme=followed_harassed") == ["Bus station"]
    assert names("sort=unsafe")[0] == "School group chats"
    assert names("sort=name") == ["Bus station", "School group chats", "Victoria Park"]
    # Filters and the period are in the access log, without the search words themselves.
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "register.list_viewed").order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert event is not None and event.detail["filters"]["sort"] == "name"
    searched = session.exec(select(AuditEvent).where(AuditEvent.action == "register.list_viewed")).all()
    assert any(e.detail["searched"] for e in searched) and not any("station" in str(e.detail) for e in searched)


def test_pagination_keeps_the_filters(client: TestClient, session: Session) -> None:
    area = make_area(session)
    for index in range(55):
        make_context(session, area, f"Street {index:02d}", neighbourhood="Northside")
    _statutory(client, session, area)
    first = client.get("/staff/register?neighbourhood=Northside&sort=name")
    assert "Page 1 of 2" in first.text
    link = re.search(r'href="(/staff/register\?[^"]*page=2[^"]*)"', first.text)
    assert link and "neighbourhood=Northside" in link.group(1) and "sort=name" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert "Street 54" in second.text and "Street 00" not in second.text


def test_htmx_filter_request_gets_only_the_results(client: TestClient, session: Session) -> None:
    area = make_area(session)
    make_context(session, area, "Victoria Park")
    _statutory(client, session, area)
    fragment = client.get("/staff/register?kind=place", headers={"HX-Request": "true", "HX-Target": "div#register-results"})
    assert "Victoria Park" in fragment.text and "<html" not in fragment.text


def test_profile_charts_carry_the_same_numbers_as_their_tables(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    make_published(session, area, park, kind="unsafe", time_bands=["evening"], days=["weekends"], categories=["poor_lighting"])
    make_published(session, area, park, kind="unsafe", time_bands=["evening", "night"], categories=["poor_lighting", "no_one_around"])
    make_published(session, area, park, kind="safe", time_bands=["afternoon"], categories=["trusted_adults"], description="Staff at the cafe look out for us.")
    _statutory(client, session, area)
    html = client.get(f"/staff/register/contexts/{park.id}").text
    for chart in ("months-chart", "time-chart", "day-chart", "theme-chart"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert re.search(r"<th scope=\"row\">Evening</th><td>2</td>", html)
    assert re.search(r"<th scope=\"row\">Night</th><td>1</td>", html)
    assert re.search(r"<th scope=\"row\">Weekends</th><td>1</td>", html)
    assert re.search(r"<th scope=\"row\">Poor lighting</th><td>2</td>", html)
    month = utcnow().strftime("%Y-%m")
    assert re.search(rf'<th scope="row">{month}</th><td>1</td><td>2</td><td>0</td><td>3</td>', html)
    # In the SVG the evening bar is labelled with the same number as in the table.
    assert re.search(r'class="chart__value"[^>]*>2</text>', html)
    assert "Staff at the cafe look out for us." in html


def test_profile_shows_redacted_text_only_and_the_source(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area)
    report = make_published(session, area, park, description="A man called Dave Smith follows girls, text 07700 900123.", reporter_role="young_person")
    report.public_description = "A man called [name] follows girls, text [phone number]."
    session.add(report)
    session.commit()
    _statutory(client, session, area)
    html = client.get(f"/staff/register/contexts/{park.id}").text
    assert "[phone number]" in html and "07700" not in html and "Dave Smith" not in html
    assert "from a young person" in html


def test_assessment_notes_keep_their_history_and_the_audit_has_no_words(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, strengths="Youth workers on Fridays.")
    _statutory(client, session, area)
    token = csrf_from(client.get(f"/staff/register/contexts/{park.id}").text)
    response = client.post(
        f"/staff/register/contexts/{park.id}/assessment",
        data={"csrf_token": token, "strengths": "Youth workers on Fridays and Saturdays.", "guardianship": "The cafe staff know the young people.", "environment": "", "neighbourhood": "Eastside"},
    )
    assert response.status_code == 303
    changes = session.exec(select(ContextNoteChange).where(ContextNoteChange.context_id == park.id)).all()
    assert {c.field for c in changes} == {"strengths", "guardianship"}
    assert next(c for c in changes if c.field == "strengths").before == "Youth workers on Fridays."
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "context.assessment_edited")).one()
    assert set(event.detail["fields"]) == {"strengths", "guardianship", "neighbourhood"}
    assert "cafe" not in str(event.detail)
    html = client.get(f"/staff/register/contexts/{park.id}").text
    assert "Earlier versions of these notes (2 changes)" in html and "Youth workers on Fridays." in html


def test_a_note_sent_empty_is_cleared_and_one_the_form_left_out_is_kept(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, strengths="Youth workers on Fridays.", guardianship="The cafe staff.", neighbourhood="Eastside")
    _statutory(client, session, area)
    token = csrf_from(client.get(f"/staff/register/contexts/{park.id}").text)
    response = client.post(f"/staff/register/contexts/{park.id}/assessment", data={"csrf_token": token, "strengths": "", "neighbourhood": ""})
    assert response.status_code == 303
    session.expire_all()
    saved = session.get(Context, park.id)
    assert saved is not None
    assert (saved.strengths, saved.guardianship, saved.neighbourhood) == ("", "The cafe staff.", "")


def test_moderators_read_the_profile_but_cannot_edit_the_assessment(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area)
    _statutory(client, session, area, "moderator")
    page = client.get(f"/staff/register/contexts/{park.id}")
    assert page.status_code == 200 and "Save assessment notes" not in page.text
    response = client.post(f"/staff/register/contexts/{park.id}/assessment", data={"csrf_token": csrf_from(page.text), "strengths": "x"})
    assert response.status_code == 403


def test_merge_moves_entries_and_actions_and_keeps_a_closed_record(client: TestClient, session: Session) -> None:
    area = make_area(session)
    keep = make_context(session, area, "Canal Walk")
    duplicate = make_context(session, area, "Canal towpath", guardianship="Boat owners keep an eye out.")
    report = make_published(session, area, duplicate, description="The towpath is dark.")
    session.add(Action(area_id=area.id, context_id=duplicate.id, title="Lights", owner_organisation="Highways",  # type: ignore[arg-type]
                       public_summary="New lights on the towpath.", published_at=utcnow()))
    session.commit()
    _statutory(client, session, area)
    token = csrf_from(client.get(f"/staff/register/contexts/{duplicate.id}").text)
    response = client.post(f"/staff/register/contexts/{duplicate.id}/merge", data={"csrf_token": token, "target_id": str(keep.id), "note": "Same path"})
    assert response.status_code == 303 and response.headers["location"] == f"/staff/register/contexts/{keep.id}"
    session.expire_all()
    assert session.get(Report, report.id).context_id == keep.id  # type: ignore[union-attr]
    assert session.exec(select(Action)).one().context_id == keep.id
    merged = session.get(Context, duplicate.id)
    assert merged is not None and merged.status == "closed" and merged.merged_into_id == keep.id
    assert "Boat owners keep an eye out." in session.get(Context, keep.id).guardianship  # type: ignore[union-attr]
    regrouping = session.exec(select(ContextRegrouping)).one()
    assert (regrouping.kind, regrouping.entries) == ("merge", 1)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "context.merged")).one().detail["into"] == keep.id
    target_page = client.get(f"/staff/register/contexts/{keep.id}").text
    assert "Canal towpath merged into this context (1 entries)" in target_page
    assert "Canal towpath" not in re.sub(r"<ol class=\"history\">.*?</ol>", "", client.get("/staff/register").text, flags=re.S)
    # The reporter's receipt now shows what was done at the merged context.
    tracked = client.post("/track", data={"code": report.receipt_code, "csrf_token": token})
    assert "New lights on the towpath." in tracked.text


def test_merge_refuses_another_areas_context(client: TestClient, session: Session) -> None:
    area = make_area(session)
    other = make_area(session, "northwick")
    mine = make_context(session, area, "Canal Walk")
    theirs = make_context(session, other, "Northwick station")
    _statutory(client, session, area)
    token = csrf_from(client.get(f"/staff/register/contexts/{mine.id}").text)
    response = client.post(f"/staff/register/contexts/{mine.id}/merge", data={"csrf_token": token, "target_id": str(theirs.id)})
    assert response.status_code == 422
    session.expire_all()
    assert session.get(Context, mine.id).merged_into_id is None  # type: ignore[union-attr]


def test_split_moves_the_ticked_entries_into_a_new_context(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    stay = make_published(session, area, park, description="The park is fine in the day.")
    move = make_published(session, area, park, description="The skate park corner is where fights start.")
    _statutory(client, session, area, "moderator")
    token = csrf_from(client.get(f"/staff/register/contexts/{park.id}").text)
    nothing = client.post(f"/staff/register/contexts/{park.id}/split", data={"csrf_token": token, "name": "Skate park", "kind": "place"})
    assert nothing.status_code == 422 and "Please tick the entries" in nothing.text
    response = client.post(f"/staff/register/contexts/{park.id}/split", data={"csrf_token": token, "name": "Skate park", "kind": "place", "entry_id": [str(move.id)]})
    assert response.status_code == 303
    new = session.exec(select(Context).where(Context.name == "Skate park")).one()
    session.expire_all()
    assert session.get(Report, move.id).context_id == new.id  # type: ignore[union-attr]
    assert session.get(Report, stay.id).context_id == park.id  # type: ignore[union-attr]
    assert session.exec(select(ContextRegrouping)).one().kind == "split"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "context.split")).one().detail["entries"] == 1
    assert "split out of Victoria Park with 1 entries" in client.get(f"/staff/register/contexts/{new.id}").text


def test_counts_follow_a_newly_published_entry(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    make_published(session, area, park, kind="unsafe")
    _statutory(client, session, area)

    def unsafe_count() -> str:
        row = re.search(r"Victoria Park</a>.*?</tr>", client.get("/staff/register").text, re.S)
        assert row is not None
        return re.findall(r"<td>(\d+)</td>", row.group(0))[1]

    assert unsafe_count() == "1"
    make_published(session, area, park, kind="unsafe")
    assert unsafe_count() == "2"
    # An entry its reporter withdraws leaves the counts too, even though nothing touched the context.
    report = session.exec(select(Report)).first()
    assert report is not None
    token = page_token(client, "/track")
    response = client.post("/track/withdraw", data={"code": report.receipt_code, "confirm": "yes", "csrf_token": token})
    assert response.status_code == 200
    assert unsafe_count() == "1"


def test_the_merge_form_offers_a_short_list_and_finds_any_other_context_by_name(client: TestClient, session: Session) -> None:
    area = make_area(session)
    here = make_context(session, area, "Canal Walk")
    far = "8819583a4bfffff"  # a cell well away from the park's, so only a search finds it
    make_context(session, area, "Station subway", h3_cell=far)
    for index in range(30):
        make_context(session, area, f"Nearby street {index:02d}")
    _statutory(client, session, area)

    page = client.get(f"/staff/register/contexts/{here.id}").text
    offered = re.findall(r'<option value="\d+">([^<]+)</option>', page.split('id="merge-target"')[1].split("</select>")[0])
    assert len(offered) == 25 and "Station subway" not in offered and "Canal Walk" not in offered
    assert 'name="merge_q"' in page

    found_page = client.get(f"/staff/register/contexts/{here.id}", params={"merge_q": "subway"}).text
    assert re.findall(r'<option value="\d+">([^<]+)</option>', found_page.split('id="merge-target"')[1].split("</select>")[0]) == ["Station subway"]
    assert 'value="subway"' in found_page

    nothing = client.get(f"/staff/register/contexts/{here.id}", params={"merge_q": "no such place"}).text
    assert 'id="merge-target"' not in nothing and "Try fewer or different words." in nothing
    assert client.get(f"/staff/register/contexts/{here.id}", params={"merge_q": "x" * 101}).status_code == 400
