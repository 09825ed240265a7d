"""A finished demo workshop for the fictional town: entries on the wall, dots, and a wording choice,
made through the real services so it looks exactly like one a facilitator ran."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from app.accounts.models import Membership, Role, User
from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.core.live import InProcessBroker
from app.core.types import utcnow
from app.reports import service as reports
from app.reports.schemas import ReportCreate
from app.workshops import entries, service, wall, wording
from app.workshops.models import VotingStatus
from app.workshops.schemas import WordingQuestionCreate, WorkshopCreate

ENTRIES = [
    (
        "unsafe",
        "Canal Walk",
        "The canal path has no lights after the lock and nobody is around.",
        "Lights, and the youth bus stopping here.",
    ),
    (
        "unsafe",
        "Underpass by the ring road",
        "Older lads wait in the underpass and ask you to carry things.",
        "A youth worker around at home time.",
    ),
    (
        "safe",
        "Eastside Youth Hub",
        "The youth hub is where we go; the staff know us and listen.",
        "Keep it open on Fridays.",
    ),
    (
        "structural",
        "Brackenford Bus Station",
        "The last bus home is at 8, so we walk through the park in the dark.",
        "A later bus on school nights.",
    ),
    ("safe", "Victoria Park", "The park cafe is busy and the staff look out for people.", ""),
]
# Which entries each of the four phones put its dots on (3 dots each).
DOTS = [(0, 1, 3), (0, 3, 2), (1, 0, 3), (3, 0, 4)]


def load_demo_workshop(session: Session, area_id: int) -> None:
    area = session.get(Area, area_id)
    facilitator = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.area_id == area_id, Membership.role == Role.FACILITATOR)  # type: ignore[arg-type]
    ).first()
    if area is None or facilitator is None:
        return
    staff = StaffIdentity(
        user=facilitator, area=area, roles=frozenset({Role.FACILITATOR}), session_id=0
    )
    quiet = InProcessBroker()  # nobody is watching a demo being loaded
    workshop = service.create_workshop(
        session,
        area,
        staff,
        WorkshopCreate(
            title="Eastside youth club: mapping our area",
            held_on=(utcnow() - timedelta(days=3)).date(),
            prompts="Where do you go after school?\nWhere do you feel safe, and who makes it that way?",
            votes_per_person=3,
        ),
        code_hours=1,
    )
    phones = [
        service.join(session, area, workshop.join_code, session_minutes=60)[0] for _ in range(4)
    ]
    entry_ids = []
    for n, (kind, _place, words, helps) in enumerate(ENTRIES):
        data = ReportCreate.model_validate(
            {
                "kind": kind,
                "location_text": _place,
                "description": words,
                "what_would_help": helps,
                "time_bands": ["evening"],
                "submission_token": reports.new_submission_token(),
            }
        )
        entry = entries.add_entry(
            session, area, phones[n % len(phones)], data, language="en", live=quiet
        )
        assert entry.id is not None
        wall.check_entry(session, staff, workshop, entry.id, show=True, live=quiet)
        entry_ids.append(entry.id)
    wall.set_voting(session, staff, workshop, VotingStatus.OPEN, live=quiet)
    for who, picks in zip(phones, DOTS, strict=True):
        for pick in picks:
            wall.toggle_vote(session, who, entry_ids[pick], live=quiet)
    question = wording.ask_wording(
        session,
        area,
        staff,
        workshop,
        WordingQuestionCreate.model_validate(
            {
                "kind": "unsafe",
                "key": "category:adults_around_young_people",
                "options": "Adults who shouldn't be there\nCreepy adults",
            }
        ),
        live=quiet,
    )
    options = wording.wording_results(session, [question])[0].options
    for who, choice in zip(phones, (1, 1, 2, 1), strict=True):
        option_id = options[choice][0].id
        assert question.id is not None and option_id is not None
        wording.answer_wording(session, who, question.id, option_id, live=quiet)
    assert question.id is not None
    wording.close_wording(session, staff, workshop, question.id, live=quiet)
    wall.set_voting(session, staff, workshop, VotingStatus.CLOSED, live=quiet)
    service.end_workshop(session, staff, workshop, live=quiet)
