"""The workshop itself, called directly: its join code, joining and leaving, finding it only in its
own area, and ending it (every phone signed out; a safety walk's rated stops become entries)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from app.areas.lookup import load_area_data
from app.core.live import InProcessBroker
from app.core.types import utcnow
from app.reports.models import Report
from app.workshops import service as workshops
from app.workshops import walks
from app.workshops.models import WalkStop, WorkshopMode, WorkshopParticipant
from app.workshops.schemas import WorkshopCreate
from tests import support_services
from tests.factories import make_area, make_workshop
from tests.support_services import audit_actions, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _room(session: Session, **overrides: object) -> tuple[object, workshops.StaffIdentity, object]:
    area = make_area(session)
    staff = identity(session, area, "facilitator")
    return area, staff, make_workshop(session, area, staff.user, **overrides)


def test_a_join_code_is_six_easily_read_characters_and_typed_loosely_still_works(writer: Session) -> None:
    area, _staff, workshop = _room(writer)
    code = workshop.join_code  # type: ignore[attr-defined]
    assert len(code) == workshops.JOIN_CODE_LENGTH and set(code) <= set(workshops.JOIN_ALPHABET)
    loose = f" {code[:3].lower()}-{code[3:].lower()} "
    assert workshops.find_joinable(writer, area, loose).id == workshop.id  # type: ignore[arg-type, attr-defined]


def test_joining_gives_a_token_only_its_hash_is_kept_and_the_session_ends_with_the_code(writer: Session) -> None:
    area, _staff, workshop = _room(writer, code_hours=1)
    who, token = workshops.join(writer, area, workshop.join_code, session_minutes=600)  # type: ignore[arg-type, attr-defined]
    stored = writer.exec(select(WorkshopParticipant)).one()
    assert stored.token_hash == workshops.token_hash(token) and token not in stored.token_hash
    assert stored.expires_at <= workshop.code_expires_at  # type: ignore[attr-defined]
    assert workshops.resume(writer, token).participant.id == who.participant.id  # type: ignore[union-attr]
    assert workshops.resume(writer, "not-a-token") is None
    workshops.leave(writer, token)
    assert workshops.resume(writer, token) is None


@pytest.mark.parametrize(("code", "error"), [("ABC", "wrong_code"), ("AAAAAA", "wrong_code")])
def test_a_wrong_code_is_refused(writer: Session, code: str, error: str) -> None:
    area, _staff, _workshop = _room(writer)
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.join(writer, area, code, session_minutes=60)  # type: ignore[arg-type]
    assert refused.value.code == error


def test_a_code_from_another_area_or_an_ended_workshop_opens_nothing(writer: Session) -> None:
    area, staff, workshop = _room(writer)
    other = make_area(writer, "other-town")
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.join(writer, other, workshop.join_code, session_minutes=60)  # type: ignore[attr-defined]
    assert refused.value.code == "wrong_code"
    _who, token = workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    workshops.end_workshop(writer, staff, workshop, live=InProcessBroker())  # type: ignore[arg-type]
    with pytest.raises(workshops.WorkshopError) as ended:
        workshops.join(writer, area, workshop.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    assert ended.value.code == "ended"
    assert workshops.resume(writer, token) is None  # everyone in the room is signed out
    assert "workshop.ended" in audit_actions(writer)


def test_an_expired_code_no_longer_opens_the_workshop(writer: Session) -> None:
    area, _staff, workshop = _room(writer)
    workshop.code_expires_at = utcnow() - timedelta(minutes=1)  # type: ignore[attr-defined]
    writer.add(workshop)
    writer.commit()
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.find_joinable(writer, area, workshop.join_code)  # type: ignore[arg-type, attr-defined]
    assert refused.value.code == "ended"


def test_a_workshop_is_found_only_in_its_own_area(writer: Session) -> None:
    area, _staff, workshop = _room(writer)
    other = make_area(writer, "other-town")
    assert workshops.get_for_area(writer, area.id, workshop.id) is workshop  # type: ignore[arg-type, attr-defined]
    assert workshops.get_for_area(writer, other.id, workshop.id) is None  # type: ignore[arg-type, attr-defined]
    assert [w.id for w in workshops.workshops_for_area(writer, area.id)] == [workshop.id]  # type: ignore[arg-type, attr-defined]
    assert workshops.workshops_for_area(writer, other.id) == []  # type: ignore[arg-type]
    assert "workshop.created" in audit_actions(writer)


def test_a_workshop_speaks_one_of_its_areas_languages(writer: Session) -> None:
    _area, _staff, workshop = _room(writer, language="xx")
    assert workshop.language == "en"  # type: ignore[attr-defined]  # not offered here: the area's own


def _walk(session: Session) -> tuple[object, workshops.StaffIdentity, object]:
    area = make_area(session)
    staff = identity(session, area, "facilitator")
    data = WorkshopCreate(title="Walking the canal", held_on=date(2026, 11, 25), mode=WorkshopMode.SAFETY_WALK)
    route = [("The canal path", None), ("The lock", None)]
    return area, staff, workshops.create_workshop(session, area, staff, data, code_hours=2, route=route)  # type: ignore[arg-type]


def test_a_safety_walk_needs_a_route_and_asks_about_every_kind(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "facilitator")
    data = WorkshopCreate(title="Walking the canal", held_on=date(2026, 11, 25), mode=WorkshopMode.SAFETY_WALK, kinds=["safe"])
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.create_workshop(writer, area, staff, data, code_hours=2)
    assert refused.value.code == "no_route"
    walk = workshops.create_workshop(writer, area, staff, data, code_hours=2, route=[("The canal path", None)])
    assert set(walk.kind_list) == {"safe", "unsafe", "structural"}
    assert [s.name for s in walks.stops_of(writer, walk.id)] == ["The canal path"]  # type: ignore[arg-type]


def test_ending_a_safety_walk_turns_each_rated_stop_into_one_entry(writer: Session) -> None:
    area, staff, walk = _walk(writer)
    who, _token = workshops.join(writer, area, walk.join_code, session_minutes=60)  # type: ignore[arg-type, attr-defined]
    walks.move_to(writer, staff, walk, 1, live=InProcessBroker())  # type: ignore[arg-type]
    [first, _second] = walks.stops_of(writer, walk.id)  # type: ignore[attr-defined]
    scores = dict.fromkeys(walks.PARAMETER_NAMES) | {"lighting": 1, "feeling": 1}
    walks.rate_stop(
        writer, area, who, first.id, scores, note="", submission_token="walk-token-00000000001",  # type: ignore[arg-type]
        live=InProcessBroker(), known=load_area_data(writer, area), language="en",  # type: ignore[arg-type]
    )
    workshops.end_workshop(writer, staff, walk, live=InProcessBroker())  # type: ignore[arg-type]
    workshops.end_workshop(writer, staff, walk, live=InProcessBroker())  # type: ignore[arg-type]  # again: nothing new
    writer.expire_all()
    stops = writer.exec(select(WalkStop).order_by(col(WalkStop.position))).all()
    assert stops[0].report_id is not None and stops[1].report_id is None  # nobody rated the lock
    [report] = writer.exec(select(Report)).all()
    assert (report.source, report.kind, report.workshop_id) == ("workshop", "unsafe", walk.id)  # type: ignore[attr-defined]
    assert "The canal path" in report.description
    assert audit_actions(writer).count("workshop.ended") == 1
