"""The moderation queue called directly: its order, its counts and its filters."""

from __future__ import annotations

from sqlmodel import Session

from app.moderation import service as moderation
from app.moderation.queue import QueueFilters, queue, queue_counts
from tests import support_services
from tests.factories import make_area, make_report
from tests.support_services import identity

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def test_the_queue_puts_urgent_first_then_the_longest_waiting_and_counts_each_status(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    staff = identity(writer, area, "moderator")
    oldest = make_report(writer, area)
    newer = make_report(writer, area)
    urgent = make_report(writer, area, description=DISCLOSURE)
    decided = make_report(writer, area)
    make_report(writer, other)
    moderation.reject(writer, staff, decided, expected_version=decided.version, reason="spam")
    assert area.id is not None
    assert [e.report.id for e in queue(writer, area.id, QueueFilters())] == [urgent.id, oldest.id, newer.id]
    assert [e.report.id for e in queue(writer, area.id, QueueFilters(status="rejected"))] == [decided.id]
    tally = queue_counts(writer, area.id)
    assert (tally["pending"], tally["rejected"], tally["published"], tally["urgent"]) == (3, 1, 0, 1)


def test_the_queue_shows_only_entries_of_the_chosen_kind_source_and_language(writer: Session) -> None:
    area = make_area(writer)
    plain = make_report(writer, area)
    polish = make_report(writer, area)
    polish.language = "pl"
    from_a_workshop = make_report(writer, area)
    from_a_workshop.source = "workshop"
    safe = make_report(writer, area, kind="safe", description="The library is a calm place to wait for the bus.")
    writer.add_all([polish, from_a_workshop])
    writer.commit()
    assert area.id is not None

    def shown(filters: QueueFilters) -> list[int | None]:
        return [e.report.id for e in queue(writer, area.id, filters)]  # type: ignore[arg-type]

    assert shown(QueueFilters()) == [plain.id, polish.id, from_a_workshop.id, safe.id]
    assert shown(QueueFilters(language="pl")) == [polish.id]
    assert shown(QueueFilters(source="workshop")) == [from_a_workshop.id]
    assert shown(QueueFilters(kind="safe")) == [safe.id]
    assert shown(QueueFilters(kind="safe", language="pl")) == []
