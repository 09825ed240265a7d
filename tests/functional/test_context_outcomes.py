"""Outcomes for a context (goals, measures, linked responses, review dates, history and audit), the
top of a context's page, and what people told us before and after an action, with the small-number rule."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.register.models import Action, ContextStatusChange, PanelDecision
from app.register.outcomes.models import (
    OutcomeChange,
    OutcomeGoal,
    OutcomeGoalAction,
    OutcomeMeasure,
    OutcomeReading,
)
from tests.factories import make_area, make_context, make_published, make_staff
from tests.support import csrf_from, sign_in


def _signed_in(client: TestClient, session: Session, area: Any, *roles: str) -> Any:
    user = make_staff(session, area, *(roles or ("statutory",)))
    sign_in(client, user.email)
    return user


def _action(
    session: Session,
    area: Any,
    context: Any,
    title: str = "Detached youth work on the route home",
    **values: Any,
) -> Action:
    values = {"owner_organisation": "Youth Service", "response_type": "relational"} | values
    action = Action(area_id=area.id, context_id=context.id, title=title, **values)
    session.add(action)
    session.commit()
    return action


def _outcomes(client: TestClient, context: Any) -> str:
    page = client.get(f"/staff/register/contexts/{context.id}/outcomes")
    assert page.status_code == 200
    return page.text


def _post(client: TestClient, context: Any, path: str, **data: Any) -> Any:
    token = csrf_from(client.get(f"/staff/register/contexts/{context.id}/outcomes").text)
    return client.post(
        f"/staff/register/contexts/{context.id}/outcomes/{path}", data={"csrf_token": token, **data}
    )


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
    )  # type: ignore[arg-type]


def test_a_goal_is_added_changed_and_keeps_a_dated_history_and_audit(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    underpass = make_context(session, area, "The underpass")
    _signed_in(client, session, area)
    title = "Young people feel safe walking home through the underpass"
    added = _post(
        client,
        underpass,
        "goals",
        title=title,
        detail="It is the only way home from the youth club.",
        status="not_started",
        review_date="2027-03-01",
    )
    assert added.status_code == 303
    goal = session.exec(select(OutcomeGoal)).one()
    assert (
        added.headers["location"]
        == f"/staff/register/contexts/{underpass.id}/outcomes#goal-{goal.id}"
    )
    assert (goal.title, goal.status, goal.review_date, goal.area_id) == (
        title,
        "not_started",
        date(2027, 3, 1),
        area.id,
    )

    changed = _post(
        client,
        underpass,
        "goal",
        goal_id=str(goal.id),
        title=title,
        detail="It is the only way home from the youth club.",
        status="in_progress",
        review_date="2027-04-01",
    )
    assert changed.status_code == 303
    session.expire_all()
    goal = session.get(OutcomeGoal, goal.id)  # type: ignore[assignment]
    assert (
        goal is not None and goal.status == "in_progress" and goal.review_date == date(2027, 4, 1)
    )
    history = session.exec(
        select(OutcomeChange).where(OutcomeChange.goal_id == goal.id).order_by(OutcomeChange.id)
    ).all()  # type: ignore[arg-type]
    assert [(h.change, h.before, h.after) for h in history] == [
        ("created", "", title),
        ("status", "not_started", "in_progress"),
        ("review_date", "2027-03-01", "2027-04-01"),
    ]
    created, updated = (
        _events(session, "outcome.goal_created"),
        _events(session, "outcome.goal_updated"),
    )
    assert len(created) == 1 and created[0].detail["context_id"] == underpass.id
    assert (
        updated[0].detail["fields"] == ["status", "review_date"]
        and updated[0].detail["after"]["status"] == "in_progress"
    )
    # The audit log keeps codes and dates, never the goal's words.
    assert "underpass" not in str(created[0].detail) + str(updated[0].detail)
    page = _outcomes(client, underpass)
    assert title in page and "status changed from Not started to In progress" in page
    assert "review date changed from 2027-03-01 to 2027-04-01" in page
    # The context's own page shows the goal with its status and review date.
    profile = client.get(f"/staff/register/contexts/{underpass.id}").text
    assert title in profile and "In progress" in profile and "Review by 1 Apr 2027" in profile


def test_a_goal_without_words_is_refused_and_keeps_what_was_typed(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    underpass = make_context(session, area, "The underpass")
    _signed_in(client, session, area)
    refused = _post(
        client,
        underpass,
        "goals",
        title="  ",
        detail="Lighting and a trusted adult on the route.",
        status="not_started",
        review_date="2027-03-01",
    )
    assert refused.status_code == 422
    assert "Please write the goal in plain words." in refused.text
    assert (
        "Lighting and a trusted adult on the route." in refused.text
        and 'value="2027-03-01"' in refused.text
    )
    assert 'aria-describedby="goal-new-title-hint goal-new-error"' in refused.text
    bad_date = _post(
        client,
        underpass,
        "goals",
        title="Young people feel safe here",
        status="not_started",
        review_date="next spring",
    )
    assert bad_date.status_code == 422 and "Please give the review date as a date." in bad_date.text
    assert "Young people feel safe here" in bad_date.text
    assert session.exec(select(OutcomeGoal)).all() == []


def test_measures_and_readings_show_progress_and_are_audited(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    underpass = make_context(session, area, "The underpass")
    _signed_in(client, session, area)
    _post(
        client,
        underpass,
        "goals",
        title="Young people feel safe walking home",
        status="in_progress",
        review_date="2027-03-01",
    )
    goal = session.exec(select(OutcomeGoal)).one()
    number = _post(
        client,
        underpass,
        "measures",
        goal_id=str(goal.id),
        what="Share of entries here that feel safe",
        method="entries",
        kind="number",
        unit="%",
        baseline="20",
        target="60",
    )
    assert number.status_code == 303
    words = _post(
        client,
        underpass,
        "measures",
        goal_id=str(goal.id),
        what="Young people's feedback in a workshop",
        method="workshop",
        kind="words",
        baseline="They avoid the underpass",
        target="They walk through it",
    )
    assert words.status_code == 303
    share, feedback = session.exec(select(OutcomeMeasure).order_by(OutcomeMeasure.id)).all()  # type: ignore[arg-type]
    assert (share.baseline_value, share.target_value, share.unit) == (20.0, 60.0, "%")
    assert (feedback.baseline_text, feedback.target_value) == ("They avoid the underpass", None)

    refused = _post(
        client,
        underpass,
        "measures",
        goal_id=str(goal.id),
        what="Lit lamps",
        method="observation",
        kind="number",
        baseline="some",
        target="all",
    )
    assert (
        refused.status_code == 422
        and "Please give the baseline and the target as numbers" in refused.text
        and 'value="Lit lamps"' in refused.text
    )

    assert (
        _post(
            client,
            underpass,
            "readings",
            measure_id=str(share.id),
            value="40",
            observed_on="2026-11-20",
        ).status_code
        == 303
    )
    assert (
        _post(
            client,
            underpass,
            "readings",
            measure_id=str(feedback.id),
            text="Some walk through it with friends",
            observed_on="2026-11-25",
        ).status_code
        == 303
    )
    future = (utcnow().date() + timedelta(days=3)).isoformat()
    assert (
        _post(
            client, underpass, "readings", measure_id=str(share.id), value="90", observed_on=future
        ).status_code
        == 422
    )
    assert (
        _post(
            client,
            underpass,
            "readings",
            measure_id=str(share.id),
            value="a lot",
            observed_on="2026-11-21",
        ).status_code
        == 422
    )
    readings = session.exec(select(OutcomeReading).order_by(OutcomeReading.id)).all()  # type: ignore[arg-type]
    assert [(r.value, r.text, r.observed_on) for r in readings] == [
        (40.0, "", date(2026, 11, 20)),
        (None, "Some walk through it with friends", date(2026, 11, 25)),
    ]
    assert (
        len(_events(session, "outcome.measure_added")) == 2
        and len(_events(session, "outcome.reading_recorded")) == 2
    )
    assert "friends" not in str([e.detail for e in _events(session, "outcome.reading_recorded")])

    page = _outcomes(client, underpass)
    assert "50% of the way" in page  # 40 is half way from 20 to 60
    assert "Some walk through it with friends" in page
    profile = client.get(f"/staff/register/contexts/{underpass.id}").text
    assert "50% of the way to the target" in profile  # in the goals card at the top

    edited = _post(
        client,
        underpass,
        "measure",
        measure_id=str(share.id),
        what="Share of entries here that feel safe",
        method="entries",
        kind="number",
        unit="%",
        baseline="20",
        target="50",
    )
    assert edited.status_code == 303
    session.expire_all()
    assert session.get(OutcomeMeasure, share.id).target_value == 50.0  # type: ignore[union-attr]
    assert _events(session, "outcome.measure_updated")[0].detail["fields"] == ["target_value"]
    changes = [
        c.change for c in session.exec(select(OutcomeChange).order_by(OutcomeChange.id)).all()
    ]  # type: ignore[arg-type]
    assert changes == [
        "created",
        "measure_added",
        "measure_added",
        "reading",
        "reading",
        "measure_edited",
    ]


def test_actions_are_linked_to_a_goal_and_unlinked_again(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    underpass = make_context(session, area, "The underpass")
    other_place = make_context(session, area, "Bus station")
    youth_work = _action(session, area, underpass)
    lights = _action(
        session, area, underpass, "New lighting in the underpass", response_type="environment"
    )
    elsewhere = _action(session, area, other_place, "Bus station wardens")
    _signed_in(client, session, area)
    _post(
        client,
        underpass,
        "goals",
        title="Young people feel safe walking home",
        status="in_progress",
    )
    goal = session.exec(select(OutcomeGoal)).one()
    assert (
        _post(
            client, underpass, "links", goal_id=str(goal.id), action_id=str(youth_work.id)
        ).status_code
        == 303
    )
    assert (
        _post(
            client, underpass, "links", goal_id=str(goal.id), action_id=str(lights.id)
        ).status_code
        == 303
    )
    # An action of another context of the same area cannot be linked.
    assert (
        _post(
            client, underpass, "links", goal_id=str(goal.id), action_id=str(elsewhere.id)
        ).status_code
        == 422
    )
    links = session.exec(select(OutcomeGoalAction)).all()
    assert {link.action_id for link in links} == {youth_work.id, lights.id}
    page = _outcomes(client, underpass)
    assert "1 relational (youth work, trusted adults, provision, guardianship) response" in page
    assert "1 physical or environmental (lighting, design) response" in page
    assert (
        _post(
            client, underpass, "links", goal_id=str(goal.id), action_id=str(lights.id), unlink="yes"
        ).status_code
        == 303
    )
    assert {link.action_id for link in session.exec(select(OutcomeGoalAction)).all()} == {
        youth_work.id
    }
    assert [e.detail["action_id"] for e in _events(session, "outcome.action_linked")] == [
        youth_work.id,
        lights.id,
    ]
    assert _events(session, "outcome.action_unlinked")[0].detail["action_id"] == lights.id
    assert [
        c.change for c in session.exec(select(OutcomeChange).order_by(OutcomeChange.id)).all()
    ] == ["created", "action_linked", "action_linked", "action_unlinked"]  # type: ignore[arg-type]


def test_goals_overdue_for_review_are_marked_and_listed_at_the_top(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    underpass = make_context(session, area, "The underpass")
    past = utcnow().date() - timedelta(days=10)
    session.add_all(
        [
            OutcomeGoal(
                area_id=area.id,
                context_id=underpass.id,
                title="The youth club opens on Fridays",
                status="in_progress",
                review_date=past,
            ),  # type: ignore[arg-type]
            OutcomeGoal(
                area_id=area.id,
                context_id=underpass.id,
                title="Shop staff know who to call",
                status="achieved",
                review_date=past,
            ),  # type: ignore[arg-type]
            OutcomeGoal(
                area_id=area.id,
                context_id=underpass.id,
                title="Drivers look out at the stop",
                status="not_started",
                review_date=utcnow().date() + timedelta(days=30),
            ),  # type: ignore[arg-type]
        ]
    )
    session.commit()
    _signed_in(client, session, area)
    html = client.get(f"/staff/register/contexts/{underpass.id}").text
    top = html[: html.index('id="outcomes-h"')]
    assert "1 goal is overdue for review" in top
    notice = re.search(r'<div class="notice notice--warning".*?</div>', top, re.S)
    assert notice and "The youth club opens on Fridays" in notice.group(0)
    assert "Shop staff know who to call" not in notice.group(
        0
    ) and "Drivers look out" not in notice.group(0)
    assert html.count("Review overdue") == 2  # in the goals card at the top and on the goal itself
    assert "1 goal is overdue for review" in _outcomes(client, underpass)


def test_the_top_of_the_page_has_status_latest_actions_panel_decision_and_goals(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    underpass = make_context(session, area, "The underpass", status="plan_in_place")
    user = _signed_in(client, session, area)
    session.add(
        ContextStatusChange(
            context_id=underpass.id,
            from_status="on_panel_agenda",
            to_status="plan_in_place",
            changed_by_id=user.id,
            created_at=utcnow() - timedelta(days=3),
        )
    )  # type: ignore[arg-type]
    session.add(
        PanelDecision(
            area_id=area.id,
            context_id=underpass.id,
            panel_date=date(2026, 11, 12),
            decision="Detached youth work on Friday nights and new lighting.",
            to_status="plan_in_place",
        )
    )  # type: ignore[arg-type]
    session.commit()
    _action(
        session,
        area,
        underpass,
        "Fix the lights",
        due_date=utcnow().date() - timedelta(days=5),
        status="in_progress",
    )
    _action(
        session,
        area,
        underpass,
        "Youth club opens on Fridays",
        due_date=utcnow().date() + timedelta(days=20),
    )
    html = client.get(f"/staff/register/contexts/{underpass.id}").text
    top = html[html.index('class="context-overview"') : html.index('id="outcomes-h"')]
    assert "Plan in place" in top and "changed by Test Staff" in top
    assert "Fix the lights" in top and "Overdue" in top and "Youth club opens on Fridays" in top
    assert "Panel of 12 Nov 2026" in top and "Detached youth work on Friday nights" in top
    assert "Outcome goals" in top
    # The contents list links to every section on the page.
    contents = re.search(r'<nav class="page-contents".*?</nav>', html, re.S)
    assert contents is not None
    for anchor in re.findall(r'href="#([\w-]+)"', contents.group(0)):
        assert f'id="{anchor}"' in html, anchor


def _planted(
    session: Session,
    area: Any,
    context: Any,
    start: date,
    before: list[tuple[str, int]],
    after: list[tuple[str, int]],
) -> None:
    """Entries made before and after a day (one a day, going out from it), with their feeling."""
    from datetime import UTC, datetime, time

    for i, (kind, feeling) in enumerate(before):
        made = datetime.combine(start - timedelta(days=i + 1), time(18), tzinfo=UTC)
        make_published(session, area, context, kind=kind, feeling=feeling, created_at=made)
    for i, (kind, feeling) in enumerate(after):
        made = datetime.combine(start + timedelta(days=i), time(18), tzinfo=UTC)
        make_published(session, area, context, kind=kind, feeling=feeling, created_at=made)


def test_before_and_after_an_action_counts_the_entries_and_applies_the_small_number_rule(
    client: TestClient, session: Session
) -> None:
    area = make_area(session, min_cell_count=3)
    underpass = make_context(session, area, "The underpass")
    start = utcnow().date() - timedelta(days=70)
    _planted(
        session,
        area,
        underpass,
        start,
        before=[("unsafe", 1), ("unsafe", 2), ("unsafe", 1), ("safe", 4)],
        after=[("safe", 5), ("unsafe", 2)],
    )
    # Outside both 8-week windows: not counted.
    from datetime import UTC, datetime, time

    make_published(
        session,
        area,
        underpass,
        kind="unsafe",
        feeling=1,
        created_at=datetime.combine(start - timedelta(days=60), time(12), tzinfo=UTC),
    )
    action = _action(session, area, underpass, started_on=start)
    _signed_in(client, session, area)
    html = client.get(f"/staff/register/contexts/{underpass.id}").text
    block = html[html.index(f'id="action-{action.id}-h"') :]
    block = block[block.index('class="before-after"') :]
    block = block[: block.index("</details>")]
    assert "These are what people told us, not proof that something changed." in block
    table = re.search(r"<tbody>(.*?)</tbody>", block, re.S)
    assert table is not None
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td>(.*?)</td>", table.group(1), re.S)
    ]
    # Rows: safe, unsafe, needs to change, all, mean feeling; columns: before, after.
    assert cells == [
        "1",
        "fewer than 3",
        "3",
        "fewer than 3",
        "0",
        "fewer than 3",
        "4",
        "fewer than 3",
        "2",
        "fewer than 3",
    ]
    assert f'aria-labelledby="ba-{action.id}-title ba-{action.id}-desc"' in block
    # Twelve weeks each side: the after-window still has only 2 entries, the before-window gains the older one.
    wider = client.get(f"/staff/register/contexts/{underpass.id}?weeks=12")
    block = wider.text[wider.text.index(f'id="action-{action.id}-h"') :]
    block = block[block.index('class="before-after"') :]
    table = re.search(r"<tbody>(.*?)</tbody>", block[: block.index("</details>")], re.S)
    assert table is not None
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td>(.*?)</td>", table.group(1), re.S)
    ]
    assert cells[2:4] == ["4", "fewer than 3"] and cells[6:8] == ["5", "fewer than 3"]
    assert "12 weeks before and after it started" in block
    # From its completion: it has none yet, and the page says so.
    by_completion = client.get(f"/staff/register/contexts/{underpass.id}?anchor=completion").text
    assert "It has no completion date yet." in by_completion


def test_an_action_gets_its_dates_from_its_status_and_they_can_be_corrected(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    underpass = make_context(session, area, "The underpass")
    action = _action(session, area, underpass)
    _signed_in(client, session, area)
    token = csrf_from(client.get(f"/staff/register/contexts/{underpass.id}").text)
    assert (
        client.post(
            f"/staff/register/actions/{action.id}/update",
            data={"csrf_token": token, "status": "in_progress", "due_date": ""},
        ).status_code
        == 303
    )
    session.expire_all()
    assert session.get(Action, action.id).started_on == utcnow().date()  # type: ignore[union-attr]
    refused = client.post(
        f"/staff/register/actions/{action.id}/dates",
        data={"csrf_token": token, "started_on": "2026-10-01", "completed_on": "2026-09-01"},
    )
    assert refused.status_code == 422 and "with the start not after the completion" in refused.text
    saved = client.post(
        f"/staff/register/actions/{action.id}/dates",
        data={"csrf_token": token, "started_on": "2026-09-01", "completed_on": "2026-10-01"},
    )
    assert saved.status_code == 303
    session.expire_all()
    stored = session.get(Action, action.id)
    assert stored is not None and (stored.started_on, stored.completed_on) == (
        date(2026, 9, 1),
        date(2026, 10, 1),
    )
    event = _events(session, "action.dates_updated")[0]
    assert event.detail["after"] == {"started_on": "2026-09-01", "completed_on": "2026-10-01"}


def test_outcomes_are_refused_to_other_areas_and_to_roles_without_rights(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    other = make_area(session, "northwick")
    mine = make_context(session, area, "The underpass")
    theirs = make_context(session, other, "Northwick station")
    their_goal = OutcomeGoal(area_id=other.id, context_id=theirs.id, title="Northwick goal")  # type: ignore[arg-type]
    session.add(their_goal)
    session.commit()
    their_action = _action(session, other, theirs, "Northwick wardens")
    _signed_in(client, session, area)
    token = csrf_from(client.get(f"/staff/register/contexts/{mine.id}/outcomes").text)
    # Another area's context is not found, for reading and for every change.
    assert client.get(f"/staff/register/contexts/{theirs.id}/outcomes").status_code == 404
    for path in ("goals", "goal", "measures", "measure", "readings", "links"):
        response = client.post(
            f"/staff/register/contexts/{theirs.id}/outcomes/{path}",
            data={"csrf_token": token, "goal_id": str(their_goal.id), "title": "x"},
        )
        assert response.status_code == 404, path
    assert (
        client.post(
            f"/staff/register/actions/{their_action.id}/dates",
            data={"csrf_token": token, "started_on": "2026-01-01"},
        ).status_code
        == 404
    )
    # Another area's goal, addressed through my own context, is refused and left alone.
    refused = client.post(
        f"/staff/register/contexts/{mine.id}/outcomes/goal",
        data={
            "csrf_token": token,
            "goal_id": str(their_goal.id),
            "title": "Changed",
            "status": "achieved",
        },
    )
    assert refused.status_code == 422 and "Northwick goal" not in refused.text
    refused = client.post(
        f"/staff/register/contexts/{mine.id}/outcomes/measures",
        data={
            "csrf_token": token,
            "goal_id": str(their_goal.id),
            "what": "x",
            "method": "other",
            "kind": "words",
        },
    )
    assert refused.status_code == 422
    session.expire_all()
    assert session.get(OutcomeGoal, their_goal.id).title == "Northwick goal"  # type: ignore[union-attr]
    assert session.exec(select(OutcomeMeasure)).all() == []

    # A moderator reads the outcomes but changes nothing; a facilitator does not see them at all.
    client.cookies.clear()
    _signed_in(client, session, area, "moderator")
    page = client.get(f"/staff/register/contexts/{mine.id}/outcomes")
    assert page.status_code == 200 and "Add goal" not in page.text
    token = csrf_from(page.text)
    assert (
        client.post(
            f"/staff/register/contexts/{mine.id}/outcomes/goals",
            data={"csrf_token": token, "title": "A goal"},
        ).status_code
        == 403
    )
    client.cookies.clear()
    _signed_in(client, session, area, "facilitator")
    assert client.get(f"/staff/register/contexts/{mine.id}/outcomes").status_code == 403
    assert session.exec(select(OutcomeGoal).where(OutcomeGoal.area_id == area.id)).all() == []
    # Every view of the outcomes page is in the access log.
    assert any(e.subject_id == str(mine.id) for e in _events(session, "register.outcomes_viewed"))
