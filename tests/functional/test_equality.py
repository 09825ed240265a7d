"""Equality questions over HTTP: optional, nothing pre-ticked, stored apart from the report and
deleted with it, never on the moderation page or in exports; and the disproportionality view with
small numbers hidden, including those a total would give away."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.equality.models import EqualityAnswer
from app.moderation.retention import run_retention
from app.reports import service as reports
from app.reports.models import Report
from tests.factories import make_area, make_context, make_place, make_published, make_staff
from tests.support import csrf_from, sign_in

_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')
_RECEIPT = re.compile(r'class="receipt-code"[^>]*>([A-Z0-9-]{14})<')
REPORT: dict[str, Any] = {
    "kind": "unsafe",
    "location_text": "the path by the canal",
    "description": "Nobody around and the lights are out.",
    "reporter_role": "young_person",
    "age_band": "16_17",
}
EQUALITY = {
    "eq_ethnicity": "asian_pakistani",
    "eq_disability": "yes",
    "eq_gender": "girl_woman",
    "eq_sexual_orientation": "bisexual",
}


def _send(client: TestClient, **answers: Any) -> tuple[Report, str]:
    page = client.get("/report")
    base = {
        "csrf_token": csrf_from(page.text),
        "submission_token": _SUBMISSION.search(page.text).group(1),
    }  # type: ignore[union-attr]
    response = client.post(
        "/report", data=base | {"step": "check", "go": "send"} | REPORT | answers
    )
    code = _RECEIPT.search(response.text)
    assert code, response.text[:500]
    return Report(), code.group(1)


def _answers(session: Session) -> list[EqualityAnswer]:
    session.expire_all()
    return list(session.exec(select(EqualityAnswer).order_by(col(EqualityAnswer.question))).all())


def test_the_questions_are_optional_and_nothing_is_ticked(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    page = client.get("/report")
    base = {
        "csrf_token": csrf_from(page.text),
        "submission_token": _SUBMISSION.search(page.text).group(1),
    }  # type: ignore[union-attr]
    response = client.post("/report", data=base | {"step": "feel", "go": "next"} | REPORT)
    assert 'data-report-step="about"' in response.text
    radios = re.findall(
        r'<input type="radio" name="(eq_[a-z_]+)" value="([a-z_]+)"([^>]*)>', response.text
    )
    assert {name for name, _value, _rest in radios} == {
        "eq_ethnicity",
        "eq_disability",
        "eq_gender",
        "eq_sexual_orientation",
    }
    assert (
        len([r for r in radios if r[0] == "eq_ethnicity"]) == 19 + 1
    )  # the ONS 2021 options and "Prefer not to say"
    assert not [r for r in radios if "checked" in r[2]]
    for name in ("eq_ethnicity", "eq_disability", "eq_gender", "eq_sexual_orientation"):
        assert (name, "prefer_not_to_say") in {(n, v) for n, v, _rest in radios}
    assert "In another way" in response.text and "kept apart from what you wrote" in response.text
    # Skipping them all sends the report and stores no answer.
    _send(client)
    assert session.exec(select(Report)).one() and _answers(session) == []


def test_answers_are_stored_apart_with_codes_and_the_month_only(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    _send(client, **EQUALITY)
    report = session.exec(select(Report)).one()
    stored = {(a.question, a.answer) for a in _answers(session)}
    assert stored == {
        ("disability", "yes"),
        ("ethnicity", "asian_pakistani"),
        ("gender", "girl_woman"),
        ("sexual_orientation", "bisexual"),
    }
    for answer in _answers(session):
        assert (answer.report_id, answer.area_id) == (report.id, area.id)
        assert re.fullmatch(r"\d{4}-\d{2}", answer.month)
    # Nothing of them is in the report row itself.
    row = {name: str(getattr(report, name)) for name in Report.model_fields}
    assert not [
        name
        for name, value in row.items()
        if any(code in value for code in ("asian_pakistani", "bisexual", "girl_woman"))
    ]


def test_sexual_orientation_is_not_kept_for_under_16s(client: TestClient, session: Session) -> None:
    make_area(session)
    _send(client, **(EQUALITY | {"age_band": "14_15"}))
    assert "sexual_orientation" not in {a.question for a in _answers(session)}
    assert len(_answers(session)) == 3


def test_an_unknown_answer_is_asked_again_keeping_everything(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    page = client.get("/report")
    base = {
        "csrf_token": csrf_from(page.text),
        "submission_token": _SUBMISSION.search(page.text).group(1),
    }  # type: ignore[union-attr]
    response = client.post(
        "/report",
        data=base | {"step": "about", "go": "next"} | REPORT | EQUALITY | {"eq_gender": "robot"},
    )
    assert response.status_code == 422 and 'data-report-step="about"' in response.text
    assert (
        'id="eq_gender-error"' in response.text
        and 'value="asian_pakistani" checked' in response.text
    )


def test_withdrawing_deletes_the_answers_with_the_report(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    _report, code = _send(client, **EQUALITY)
    assert len(_answers(session)) == 4
    page = client.get("/track")
    response = client.post(
        "/track/withdraw", data={"csrf_token": csrf_from(page.text), "code": code, "confirm": "yes"}
    )
    assert response.status_code == 200
    session.expire_all()
    assert session.exec(select(Report)).all() == [] and _answers(session) == []


def test_withdrawing_a_report_kept_for_safeguarding_still_deletes_the_answers(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    _report, code = _send(
        client,
        **(
            EQUALITY
            | {"description": "He said he will hurt me if I tell anyone, I am scared to go home."}
        ),
    )
    report = session.exec(select(Report)).one()
    assert reports.kept_for_safeguarding(report) and len(_answers(session)) == 4
    page = client.get("/track")
    client.post(
        "/track/withdraw", data={"csrf_token": csrf_from(page.text), "code": code, "confirm": "yes"}
    )
    session.expire_all()
    assert (
        session.exec(select(Report)).one().withdrawn_at is not None
    )  # kept for a safeguarding worker
    assert _answers(session) == []  # but not what they said about themselves


def test_retention_deletes_the_answers_with_the_raw_words(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    context = make_context(session, area)
    report = make_published(session, area, context)
    assert report.id is not None
    session.add(
        EqualityAnswer(
            report_id=report.id,
            area_id=report.area_id,
            month="2026-01",
            question="disability",
            answer="no",
        )
    )
    session.commit()
    assert report.moderated_at is not None
    run_retention(session, now=report.moderated_at + timedelta(days=area.retention_days + 1))
    assert _answers(session) == []


def test_answers_never_show_on_the_moderation_page_or_in_exports(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    _send(client, **EQUALITY)
    report = session.exec(select(Report)).one()
    sign_in(client, make_staff(session, area, "moderator", "statutory").email)
    pages = [
        client.get(f"/staff/moderation/{report.id}"),
        client.get("/staff/register/export.csv"),
        client.get("/staff/register/export.geojson"),
    ]
    for page in pages:
        assert page.status_code == 200
        for word in (
            "Pakistani",
            "asian_pakistani",
            "Bisexual",
            "bisexual",
            "girl_woman",
            "Ethnic group",
        ):
            assert word not in page.text, (page.url, word)


def _reporters(
    session: Session, area: Any, context: Any, place: Any, planted: list[tuple[str, str, int]]
) -> None:
    """Published reports with a disability answer each: (answer, kind, how many)."""
    for answer, kind, count in planted:
        for _ in range(count):
            report = make_published(
                session, area, context, kind=kind, place_id=place.id, location_text=""
            )
            assert report.id is not None
            session.add(
                EqualityAnswer(
                    report_id=report.id,
                    area_id=area.id,
                    month="2026-12",
                    question="disability",
                    answer=answer,
                )
            )
            session.commit()


def _cells(html: str, row_label: str, table_id: str) -> list[str]:
    table = html[html.index(f'aria-labelledby="{table_id}"') :]
    table = table[: table.index("</table>")]
    row = re.search(rf"<tr><th scope=\"row\">{re.escape(row_label)}</th>(.*?)</tr>", table, re.S)
    assert row, row_label
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    ]


def test_the_view_hides_small_numbers_and_what_totals_would_give_away(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    context = make_context(session, area)
    park = make_place(session, area, "Victoria Park", "park")
    # Disabled reporters: 3 felt unsafe (a small number). Others: 12 unsafe, 6 safe; 5 preferred not to say.
    planted = [
        ("yes", "unsafe", 3),
        ("no", "unsafe", 12),
        ("no", "safe", 6),
        ("prefer_not_to_say", "unsafe", 5),
    ]
    _reporters(session, area, context, park, planted)
    sign_in(client, make_staff(session, area, "statutory").email)
    page = client.get("/staff/register/equality?question=disability&period=all")
    assert page.status_code == 200
    assert "These are what people said" in page.text and "fewer than 5" in page.text
    overall = {
        label: _cells(page.text, label, "equality-overall")
        for label in ("Yes", "No", "Prefer not to say", "Did not answer")
    }
    assert overall["Yes"] == ["fewer than 5", "fewer than 5"]
    assert overall["No"] == ["18 (69%)", "12 (60%)"]
    # The totals (26 and 20) are shown, so 26 - 18 - 0 would give the 3 away: the next smallest
    # count in each column (the 5 who preferred not to say) is hidden as well.
    assert overall["Prefer not to say"] == ["hidden*", "hidden*"] and overall["Did not answer"] == [
        "0 (0%)",
        "0 (0%)",
    ]
    assert _cells(page.text, "Total", "equality-overall") == ["26", "20"]
    # The same protection by kind of place, where the 3 and the 5 sit in the park column and in totals.
    assert _cells(page.text, "Yes", "equality-by-place")[1] == "fewer than 5"
    assert "hidden*" in _cells(page.text, "Prefer not to say", "equality-by-place")
    # By category: every planted report named "followed_harassed" (the factory's default).
    assert _cells(page.text, "Yes", "equality-by-category")[0] == "fewer than 5"


def test_the_view_says_so_when_there_is_too_little_to_show(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    context = make_context(session, area)
    park = make_place(session, area, "Victoria Park", "park")
    _reporters(session, area, context, park, [("yes", "unsafe", 2)])
    sign_in(client, make_staff(session, area, "statutory").email)
    page = client.get("/staff/register/equality?question=disability&period=all")
    assert (
        "not enough reports in this period" in page.text
        and "<table" not in page.text.split("How to read this")[1]
    )


def test_the_register_navigation_links_to_the_view(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "statutory").email)
    page = client.get("/staff/register")
    assert 'href="/staff/register/equality"' in page.text


def test_only_the_registers_readers_see_the_view_and_only_their_own_area(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    other = make_area(session, "northwick")
    park = make_place(session, other, "Northwick Park", "park")
    _reporters(
        session,
        other,
        make_context(session, other, "Northwick Canal"),
        park,
        [("yes", "unsafe", 9)],
    )
    signed_out = client.get("/staff/register/equality", follow_redirects=False)
    assert (
        signed_out.status_code in {302, 303} and "/staff/sign-in" in signed_out.headers["location"]
    )
    sign_in(client, make_staff(session, area, "facilitator").email)
    assert client.get("/staff/register/equality").status_code == 403
    client.cookies.clear()
    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get("/staff/register/equality?question=disability&period=all")
    assert page.status_code == 200
    assert (
        "not enough reports in this period" in page.text
    )  # Northwick's nine reports are not Brackenford's
