"""The moderation rules for the working day: context order, where, history, the live queue."""

from __future__ import annotations

from datetime import timedelta

import h3
from sqlmodel import Session, select

from app.accounts.service import StaffIdentity
from app.core.db import Database
from app.moderation import linking, service
from app.moderation import queue as moderation_queue
from app.moderation.history import HistoryStep, decision_history
from app.moderation.models import SafeguardingAlert
from app.moderation.routes import excerpt
from tests.factories import make_area, make_context, make_place, make_report, make_staff

URGENT = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."


def _identity(session: Session, area: object, *roles: str) -> StaffIdentity:
    user = make_staff(session, area, *roles)  # type: ignore[arg-type]
    return StaffIdentity(user=user, area=area, roles=frozenset(roles), session_id=0)  # type: ignore[arg-type]


def test_a_merged_me_too_context_is_offered_as_the_one_it_carries_on_as(session: Session) -> None:
    area = make_area(session)
    survivor = make_context(session, area, "Canal Walk")
    merged = make_context(session, area, "Canal path")
    report = make_report(session, area, me_too_context_id=merged.id)
    merged.merged_into_id = survivor.id
    session.add(merged)
    session.commit()
    choices = linking.context_choices(session, report)
    assert choices.selected_id == survivor.id
    assert merged.id not in [c.context.id for c in choices.choices]
    assert choices.choices[0].me_too


def test_the_preselected_context_stays_in_view_whatever_is_searched(session: Session) -> None:
    area = make_area(session)
    park = make_place(session, area, "Victoria Park")
    at_park = make_context(session, area, "Play area", place_id=park.id)
    canal = make_context(session, area, "Canal Walk")
    report = make_report(session, area, place_id=park.id, location_text="")
    choices = linking.context_choices(session, report, query="canal")
    assert [c.context.id for c in choices.choices] == [at_park.id, canal.id]
    assert choices.selected_id == at_park.id


def test_a_long_match_list_says_how_many_more_there_are(session: Session) -> None:
    area = make_area(session)
    for number in range(12):
        make_context(session, area, f"Street {number}")
    report = make_report(session, area)
    choices = linking.context_choices(session, report, query="street", limit=8)
    assert len(choices.choices) == 8 and choices.more == 4


def test_contexts_with_no_position_come_after_those_nearest(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, lat=52.5765, lng=-1.9855, location_text="")
    nowhere = make_context(session, area, "Online group chat", h3_cell=None)
    near = make_context(
        session, area, "Bus shelter", h3_cell=h3.latlng_to_cell(52.58, -1.99, area.h3_resolution)
    )
    ids = [c.context.id for c in linking.context_choices(session, report).choices]
    assert ids.index(near.id) < ids.index(nowhere.id)
    near_choice = next(
        c for c in linking.context_choices(session, report).choices if c.context.id == near.id
    )
    assert near_choice.metres is not None and near_choice.metres < 1500


def test_where_is_never_a_bare_cell(session: Session) -> None:
    area = make_area(session)
    far_pin = make_report(session, area, lat=52.556, lng=-2.045, location_text="")
    make_place(session, area, "Victoria Park", lat=52.576, lng=-1.986)
    where = linking.describe_where(session, far_pin)
    # Nothing named close by: it says so, and still keeps the cell for the technical detail only.
    assert (
        where.place_name is None
        and where.near is None
        and where.on_map
        and where.cell == far_pin.h3_cell
    )


def test_history_lists_each_step_oldest_first_with_who_took_it(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area, description=URGENT)
    moderator = _identity(session, area, "moderator")
    moderator.user.display_name = "Amira Khan"
    session.add(moderator.user)
    session.commit()
    service.claim(session, moderator, report)
    service.reject(
        session, moderator, report, expected_version=report.version, reason="handled_elsewhere"
    )
    history = decision_history(session, report)
    steps = [item.step for item in history]
    assert steps[0] == HistoryStep.RECEIVED and history[0].who is None
    assert HistoryStep.CLAIMED in steps
    # Rejecting an urgent entry records the safeguarding call too (labels.record_implicit).
    assert HistoryStep.CALLED_URGENT in steps
    rejected = history[-1]
    assert (
        rejected.step == HistoryStep.REJECTED
        and rejected.who == "Amira Khan"
        and rejected.reason == "handled_elsewhere"
    )
    assert [item.at for item in history] == sorted(item.at for item in history)


def test_urgent_arrivals_follow_the_alert_sequence_and_the_filters(session: Session) -> None:
    area = make_area(session)
    assert area.id is not None
    start = moderation_queue.latest_alert_seq(session, area.id)
    calm = make_report(
        session, area, description="The bus shelter is dark but it's fine in the day."
    )
    urgent = make_report(session, area, description=URGENT)
    assert urgent.urgent and not calm.urgent
    filters = moderation_queue.QueueFilters()
    arrivals = moderation_queue.urgent_arrivals(session, area.id, start, filters)
    assert [a.report.id for a in arrivals if a.report] == [urgent.id]
    seq = arrivals[-1].seq
    assert seq == moderation_queue.latest_alert_seq(session, area.id)
    assert moderation_queue.urgent_arrivals(session, area.id, seq, filters) == []
    # A queue filtered to another language, kind or status has no place for it; the sequence still moves on.
    for other in (
        moderation_queue.QueueFilters(language="pl"),
        moderation_queue.QueueFilters(kind="safe"),
        moderation_queue.QueueFilters(status="published"),
    ):
        hidden = moderation_queue.urgent_arrivals(session, area.id, start, other)
        assert [a.seq for a in hidden] == [seq] and hidden[0].report is None


def test_a_second_alert_for_one_entry_does_not_list_it_twice(session: Session) -> None:
    area = make_area(session)
    assert area.id is not None
    urgent = make_report(session, area, description=URGENT)
    assert urgent.id is not None
    session.add(SafeguardingAlert(area_id=area.id, report_id=urgent.id))
    session.commit()
    arrivals = moderation_queue.urgent_arrivals(session, area.id, 0, moderation_queue.QueueFilters())
    assert len(arrivals) == 2 and [a.report is not None for a in arrivals] == [True, False]


def test_urgent_arrivals_never_cross_areas(session: Session) -> None:
    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    assert home.id is not None
    make_report(session, other, description=URGENT)
    assert moderation_queue.urgent_arrivals(session, home.id, 0, moderation_queue.QueueFilters()) == []


def test_summaries_waiting_counts_only_unpublished_drafts_of_the_area(session: Session) -> None:
    from app.core.types import utcnow
    from app.register.models import Action

    home, other = make_area(session, "brackenford"), make_area(session, "northwick")
    assert home.id is not None and other.id is not None
    mine, theirs = (
        make_context(session, home, "Canal Walk"),
        make_context(session, other, "Canal Walk"),
    )
    assert mine.id is not None and theirs.id is not None
    earlier = utcnow() - timedelta(days=2)
    session.add_all(
        [
            Action(
                area_id=home.id,
                context_id=mine.id,
                title="Lights",
                owner_organisation="Council",
                public_summary="New lights.",
                created_at=earlier,
            ),
            Action(
                area_id=home.id,
                context_id=mine.id,
                title="Youth work",
                owner_organisation="Youth service",
                public_summary="Detached youth work.",
            ),
            Action(
                area_id=home.id,
                context_id=mine.id,
                title="Done",
                owner_organisation="Council",
                public_summary="Out.",
                published_at=utcnow(),
            ),
            Action(
                area_id=other.id,
                context_id=theirs.id,
                title="Theirs",
                owner_organisation="Council",
                public_summary="Not ours.",
            ),
        ]
    )
    session.commit()
    items, total = moderation_queue.summaries_waiting(session, home.id, limit=1)
    assert total == 2 and [i.title for i in items] == ["Lights"]


def test_the_excerpt_is_short_cut_at_a_word_and_never_halves_a_personal_detail(
    session: Session,
) -> None:
    area = make_area(session)
    report = make_report(
        session, area, description="Dark here. " * 12 + "Call 07700 900123 about it, ok?"
    )
    pieces = excerpt(report, limit=130)
    text = "".join(p.text for p in pieces)
    assert text.endswith("…") and len(text) <= 132
    assert "07700" not in text  # the flagged number would have been cut: it is left out whole
    short = excerpt(make_report(session, area, description="Text me on 07700 900123"), limit=160)
    assert [p.kind for p in short] == [None, "phone"]


def test_an_entry_whose_words_were_deleted_shows_its_public_text_only(session: Session) -> None:
    from app.core.types import utcnow

    area = make_area(session)
    report = make_report(session, area)
    report.description = None
    report.raw_deleted_at = utcnow()
    report.public_description = "The alley is dark."
    assert "".join(p.text for p in excerpt(report)) == "The alley is dark."


def test_the_queue_stream_sends_each_urgent_entry_once_and_resumes_from_its_number(
    session: Session, db: Database
) -> None:
    from app.moderation.routes import queue_stream
    from tests.support import run_in_own_loop

    area = make_area(session)
    assert area.id is not None
    area_id = area.id
    start = moderation_queue.latest_alert_seq(session, area_id)
    urgent = make_report(session, area, description=URGENT)

    async def first_messages(after: int, count: int) -> list[str]:
        messages = queue_stream(
            db, area_id, after, moderation_queue.QueueFilters(), locale="en", check_seconds=0.05
        )
        out: list[str] = []
        try:
            async for message in messages:
                out.append(message)
                if len(out) == count:
                    break
        finally:
            await messages.aclose()  # type: ignore[attr-defined]
        return out

    retry, event = run_in_own_loop(first_messages(start, 2))
    assert retry.startswith("retry:")
    seq = moderation_queue.latest_alert_seq(session, area_id)
    assert event.startswith(f"id: {seq}\n")
    assert (
        f'id="queue-entry-{urgent.id}"' in event
        and 'hx-target="#queue-rows" hx-swap="afterbegin"' in event
    )
    assert "Urgent waiting: 1" in event and "A new urgent entry is at the top of the queue" in event
    # A queue reconnecting with that number as Last-Event-ID gets heartbeats, not the entry again.
    _retry, quiet = run_in_own_loop(first_messages(seq, 2))
    assert quiet == ": heartbeat\n\n"


def test_the_queue_stream_ends_in_time_so_the_browser_reconnects_and_the_session_is_checked_again(
    db: Database,
) -> None:
    from app.moderation.routes import queue_stream
    from tests.support import run_in_own_loop

    async def everything() -> list[str]:
        return [
            m
            async for m in queue_stream(
                db, 1, 0, moderation_queue.QueueFilters(), locale="en", check_seconds=0.01, lasting=0.05
            )
        ]

    messages = run_in_own_loop(everything())
    assert messages[0].startswith("retry:") and 1 <= len(messages) < 20


def test_an_alert_committed_after_a_higher_numbered_one_still_reaches_the_open_queue(
    session: Session, db: Database
) -> None:
    import asyncio

    from app.moderation.routes import queue_stream
    from tests.support import run_in_own_loop

    area = make_area(session)
    assert area.id is not None
    area_id = area.id
    first, late = (
        make_report(session, area, description=URGENT),
        make_report(session, area, description=URGENT),
    )
    # Only the first entry's alert is visible when the page is read; the other's alert is not committed yet.
    for alert in session.exec(
        select(SafeguardingAlert).where(SafeguardingAlert.report_id == late.id)
    ).all():
        session.delete(alert)
    session.commit()
    seen = moderation_queue.latest_alert_seq(session, area_id)

    def add_alert(alert_id: int, report_id: int | None) -> None:
        assert report_id is not None
        with db.writer() as writer:
            writer.add(SafeguardingAlert(id=alert_id, area_id=area_id, report_id=report_id))
            writer.commit()

    async def watch() -> list[str]:
        messages = queue_stream(
            db, area_id, seen, moderation_queue.QueueFilters(), locale="en", check_seconds=0.05
        )
        out: list[str] = []
        try:
            out.append(await anext(messages))  # retry
            out.append(await anext(messages))  # heartbeat: nothing new
            await asyncio.to_thread(
                add_alert, seen + 10, first.id
            )  # a higher number commits first...
            out.append(await anext(messages))
            await asyncio.to_thread(add_alert, seen + 5, late.id)  # ...then the lower one
            out.append(await anext(messages))
        finally:
            await messages.aclose()  # type: ignore[attr-defined]
        return out

    _retry, quiet, higher, lower = run_in_own_loop(watch())
    assert quiet == ": heartbeat\n\n"
    assert f'id="queue-entry-{first.id}"' in higher and higher.startswith(f"id: {seen + 10}\n")
    assert f'id="queue-entry-{late.id}"' in lower and lower.startswith(f"id: {seen + 10}\n")
