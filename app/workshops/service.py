"""Running a co-design workshop: codes, participant sessions, entries, the wall, votes and output.

Rules worth knowing:
- A join code is six characters from an alphabet with no 0/O or 1/I/L, so it reads well off a
  projector; it works until the facilitator ends the workshop or SAFETYMAP_WORKSHOP_CODE_HOURS pass.
- Entries are ordinary reports (source "workshop"), so they go through normal moderation. The wall
  is not publishing: it shows the words after the facilitator's check, to the room only.
- Dot-voting: each participant has the workshop's `votes_per_person` dots and may put at most one
  on any wall entry (so N dots mean N different priorities; tapping again takes the dot back).
  Results are live; once the facilitator closes voting, they are the area's context-weighting
  input (`workshop_votes_by_context`).
- Every change the room can see is a numbered `WorkshopEvent`, written in the same transaction as
  the change, so live walls can resume from any number (see live.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.areas.lookup import AreaData, GazetteerPlace, load_area_data
from app.areas.models import Area, Place
from app.audit import service as audit
from app.core.types import utcnow
from app.moderation.service import suggested_spans
from app.moderation.triage import Span, apply_redactions
from app.register.models import Context
from app.reports import service as reports
from app.reports.models import Report, ReportKind, ReportSource, ReportStatus
from app.reports.schemas import ReportCreate
from app.taxonomy import service as taxonomy
from app.workshops.live import LiveBroker
from app.workshops.models import (
    VotingStatus,
    WallStatus,
    WordingAnswer,
    WordingOption,
    WordingQuestion,
    Workshop,
    WorkshopEntry,
    WorkshopEvent,
    WorkshopEventKind,
    WorkshopMode,
    WorkshopParticipant,
    WorkshopVote,
)
from app.workshops.schemas import WordingQuestionCreate, WorkshopCreate

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a room reads the code off a projector and types it on phones.
JOIN_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6


class WorkshopError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Participation:
    participant: WorkshopParticipant
    workshop: Workshop


# --- Workshops ------------------------------------------------------------------------------


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:20]


def create_workshop(
    session: Session,
    area: Area,
    staff: StaffIdentity,
    data: WorkshopCreate,
    *,
    code_hours: int,
    route: Sequence[tuple[str, GazetteerPlace | None]] = (),
) -> Workshop:
    """A new workshop with its join code; a safety walk with its `route` (see walks.parse_route)."""
    assert area.id is not None
    language = data.language if data.language in area.locale_list else area.default_locale
    walk = data.mode == WorkshopMode.SAFETY_WALK
    if walk and not route:
        raise WorkshopError("no_route")
    for _attempt in range(10):
        workshop = Workshop(
            area_id=area.id,
            title=data.title,
            held_on=data.held_on,
            language=language,
            # A note on a walk is safe, unsafe or needs changing by how the stop felt: all are asked.
            kinds=",".join(k.value for k in ReportKind) if walk else ",".join(data.kinds),
            mode=data.mode,
            prompts=data.prompts,
            votes_per_person=data.votes_per_person,
            join_code=new_join_code(),
            code_expires_at=utcnow() + timedelta(hours=code_hours),
            created_by_id=staff.user.id,
        )
        session.add(workshop)
        try:
            session.flush()
        except IntegrityError:
            # The same code is live already (one in 244 million): draw another.
            session.rollback()
            continue
        if walk:
            from app.workshops import walks  # walks builds on this module

            walks.add_route(session, workshop, route)
        audit.record(
            session,
            "workshop.created",
            area_id=area.id,
            actor_id=staff.user.id,
            subject_type="workshop",
            subject_id=workshop.id,
        )
        session.commit()
        return workshop
    raise WorkshopError("no_code")


def workshops_for_area(session: Session, area_id: int) -> Sequence[Workshop]:
    query = (
        select(Workshop)
        .where(Workshop.area_id == area_id)
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
    )
    return session.exec(query.limit(100)).all()


def get_for_area(session: Session, area_id: int, workshop_id: int) -> Workshop | None:
    workshop = session.get(Workshop, workshop_id)
    return workshop if workshop is not None and workshop.area_id == area_id else None


def end_workshop(
    session: Session, staff: StaffIdentity, workshop: Workshop, *, live: LiveBroker
) -> None:
    """The code stops working and every participant session ends; entries carry on to moderation."""
    if workshop.ended_at is not None:
        return
    now = utcnow()
    workshop.ended_at = now
    if workshop.voting == VotingStatus.OPEN:
        workshop.voting = VotingStatus.CLOSED
    session.add(workshop)
    session.execute(
        update(WorkshopParticipant)
        .where(
            col(WorkshopParticipant.workshop_id) == workshop.id,
            col(WorkshopParticipant.expires_at) > now,
        )
        .values(expires_at=now)
    )
    commit_event(
        session,
        workshop,
        WorkshopEventKind.VOTING_CHANGED,
        None,
        live=live,
        audit_action="workshop.ended",
        actor_id=staff.user.id,
    )


# --- Events ---------------------------------------------------------------------------------


def _record_event(
    session: Session, workshop_id: int, kind: WorkshopEventKind, subject_id: int | None
) -> int:
    """Number the event under the workshop row's lock, so numbers follow commit order."""
    seq = session.execute(
        update(Workshop)
        .where(col(Workshop.id) == workshop_id)
        .values(event_seq=col(Workshop.event_seq) + 1)
        .returning(col(Workshop.event_seq))
    ).scalar_one()
    session.add(WorkshopEvent(workshop_id=workshop_id, seq=seq, kind=kind, subject_id=subject_id))
    return int(seq)


def commit_event(
    session: Session,
    workshop: Workshop,
    kind: WorkshopEventKind,
    subject_id: int | None,
    *,
    live: LiveBroker,
    audit_action: str = "",
    actor_id: int | None = None,
    **detail: object,
) -> int:
    """Number the event, commit it with the change it records, then ring the live streams."""
    assert workshop.id is not None
    if audit_action:
        audit.record(
            session,
            audit_action,
            area_id=workshop.area_id,
            actor_id=actor_id,
            subject_type="workshop",
            subject_id=workshop.id,
            **detail,
        )
    # Last in the transaction: the row lock is held only for the commit.
    seq = _record_event(session, workshop.id, kind, subject_id)
    session.commit()
    live.publish(workshop.id, seq)
    return seq


def events_after(
    session: Session, workshop_id: int, after: int, *, limit: int = 200
) -> Sequence[WorkshopEvent]:
    query = (
        select(WorkshopEvent)
        .where(WorkshopEvent.workshop_id == workshop_id, col(WorkshopEvent.seq) > after)
        .order_by(col(WorkshopEvent.seq))
        .limit(limit)
    )
    return session.exec(query).all()


# --- Participants ---------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_joinable(session: Session, area: Area, code: str) -> Workshop:
    """The workshop this code opens in this area, or WorkshopError("wrong_code" / "ended")."""
    code = normalise_join_code(code)
    if len(code) != JOIN_CODE_LENGTH:
        raise WorkshopError("wrong_code")
    workshop = session.exec(
        select(Workshop).where(Workshop.join_code == code, Workshop.area_id == area.id)
    ).first()
    if workshop is None:
        raise WorkshopError("wrong_code")
    if not workshop.is_joinable(utcnow()):
        raise WorkshopError("ended")
    return workshop


def join(
    session: Session, area: Area, code: str, *, session_minutes: int
) -> tuple[Participation, str]:
    """A new participant session for this code; returns it and the token for the cookie."""
    workshop = find_joinable(session, area, code)
    assert workshop.id is not None
    token = secrets.token_urlsafe(16)  # 128 bits
    expires = min(utcnow() + timedelta(minutes=session_minutes), workshop.code_expires_at)
    participant = WorkshopParticipant(
        workshop_id=workshop.id, token_hash=token_hash(token), expires_at=expires
    )
    session.add(participant)
    session.commit()
    return Participation(participant, workshop), token


def resume(session: Session, token: str | None) -> Participation | None:
    """The participant session for a cookie's token, while it lasts and its workshop is running."""
    if not token:
        return None
    participant = session.exec(
        select(WorkshopParticipant).where(WorkshopParticipant.token_hash == token_hash(token))
    ).first()
    if participant is None or participant.expires_at <= utcnow():
        return None
    workshop = session.get(Workshop, participant.workshop_id)
    if workshop is None or workshop.ended_at is not None:
        return None
    return Participation(participant, workshop)


def leave(session: Session, token: str | None) -> None:
    who = resume(session, token)
    if who is not None:
        who.participant.expires_at = utcnow()
        session.add(who.participant)
        session.commit()


# --- Entries --------------------------------------------------------------------------------


def add_entry(
    session: Session,
    area: Area,
    who: Participation,
    data: ReportCreate,
    *,
    language: str,
    chosen_categories: Sequence[str] = (),
    live: LiveBroker,
    bypassed_checks: Sequence[str] = (),
    known: AreaData | None = None,
    walk_stop_id: int | None = None,
) -> WorkshopEntry:
    """A participant's entry: stored as a report with source "workshop", waiting for the wall check.

    A retried send (same submission token) finds the entry already made instead of a second one.
    """
    workshop, participant = who.workshop, who.participant
    assert workshop.id is not None and participant.id is not None
    if data.kind not in workshop.kind_list:
        raise WorkshopError("kind_not_asked")
    known = (
        known if known is not None and known.area.id == area.id else load_area_data(session, area)
    )
    submitted = reports.submit_report(
        session,
        area,
        data,
        language=language,
        source=ReportSource.WORKSHOP,
        bypassed_checks=bypassed_checks,
        known=known,
    )
    report = submitted.report
    assert report.id is not None
    existing = session.exec(
        select(WorkshopEntry).where(WorkshopEntry.report_id == report.id)
    ).first()
    if existing is not None:
        return existing
    if not submitted.created:
        raise WorkshopError("not_yours")
    report.workshop_id = workshop.id
    report.taxonomy_version_id = known.words.version_id
    # The area's own added categories are not in the default list ReportCreate knows.
    allowed = known.words.allowed_codes(report.kind)
    codes = list(
        dict.fromkeys([*report.category_list, *(c for c in chosen_categories if c in allowed)])
    )
    report.categories = ",".join(codes)[:300]
    session.add(report)
    entry = WorkshopEntry(
        workshop_id=workshop.id,
        report_id=report.id,
        participant_id=participant.id,
        kind=report.kind,
        walk_stop_id=walk_stop_id,
    )
    session.add(entry)
    session.flush()
    commit_event(session, workshop, WorkshopEventKind.ENTRY_ADDED, entry.id, live=live)
    return entry


def entries_of(session: Session, participant_id: int) -> list[tuple[WorkshopEntry, Report]]:
    query = (
        select(WorkshopEntry, Report)
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .where(WorkshopEntry.participant_id == participant_id)
        .order_by(col(WorkshopEntry.id))
    )
    return [(entry, report) for entry, report in session.exec(query).all()]


def withdraw_entry(
    session: Session, who: Participation, entry_id: int, *, live: LiveBroker
) -> reports.Withdrawal:
    """Take an entry back: off the wall, its dots gone, and the report withdrawn as /track does it
    (deleted, or kept for safeguarding when its words may mean someone is not safe)."""
    entry = session.get(WorkshopEntry, entry_id)
    if entry is None or entry.participant_id != who.participant.id:
        raise WorkshopError("not_yours")
    report = session.get(Report, entry.report_id)
    session.execute(delete(WorkshopVote).where(col(WorkshopVote.entry_id) == entry_id))
    session.execute(delete(WorkshopEntry).where(col(WorkshopEntry.id) == entry_id))
    assert who.workshop.id is not None
    seq = _record_event(session, who.workshop.id, WorkshopEventKind.ENTRY_REMOVED, entry_id)
    withdrawal = reports.Withdrawal(kept=False)
    if report is not None:
        withdrawal = reports.withdraw(
            session, report
        )  # commits, with the event, in one transaction
    else:
        session.commit()
    live.publish(who.workshop.id, seq)
    return withdrawal


@dataclass(frozen=True)
class WaitingEntry:
    entry: WorkshopEntry
    report: Report
    spans: list[tuple[int, Span]]  # suggested personal details in the words, numbered
    help_spans: list[tuple[int, Span]]


def waiting_entries(
    session: Session, workshop_id: int, *, entry_id: int | None = None
) -> list[WaitingEntry]:
    query = (
        select(WorkshopEntry, Report)
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .where(
            WorkshopEntry.workshop_id == workshop_id,
            WorkshopEntry.wall_status == WallStatus.WAITING,
        )
        .order_by(col(Report.urgent).desc(), col(WorkshopEntry.id))
    )
    if entry_id is not None:
        query = query.where(WorkshopEntry.id == entry_id)
    return [
        WaitingEntry(
            entry,
            report,
            list(enumerate(suggested_spans(report, "description"))),
            list(enumerate(suggested_spans(report, "what_would_help"))),
        )
        for entry, report in session.exec(query).all()
    ]


def wall_entries(
    session: Session, workshop_id: int, *, entry_ids: Sequence[int] | None = None
) -> list[WorkshopEntry]:
    query = select(WorkshopEntry).where(
        WorkshopEntry.workshop_id == workshop_id, WorkshopEntry.wall_status == WallStatus.ON_WALL
    )
    if entry_ids is not None:
        query = query.where(col(WorkshopEntry.id).in_(list(entry_ids)))
    return list(
        session.exec(query.order_by(col(WorkshopEntry.checked_at), col(WorkshopEntry.id))).all()
    )


def _wall_words(report: Report, keep: dict[str, set[int]]) -> str:
    """The words after the check: every suggested personal detail out unless the facilitator kept it."""
    parts = []
    for name in ("description", "what_would_help"):
        raw = getattr(report, name) or ""
        if not raw:
            continue
        spans = [
            span
            for index, span in enumerate(suggested_spans(report, name))
            if index not in keep.get(name, set())
        ]
        parts.append(apply_redactions(raw, spans))
    return "\n\n".join(parts)


def check_entry(
    session: Session,
    staff: StaffIdentity,
    workshop: Workshop,
    entry_id: int,
    *,
    show: bool,
    keep: dict[str, set[int]] | None = None,
    live: LiveBroker,
) -> WorkshopEntry:
    """The facilitator's one-click check: on the wall (suggested personal details taken out unless
    kept) or kept off it; an entry on the wall can be taken down again. Either way the entry still
    goes to moderation like any other report."""
    entry = session.get(WorkshopEntry, entry_id)
    if entry is None or entry.workshop_id != workshop.id:
        raise WorkshopError("not_found")
    report = session.get(Report, entry.report_id)
    if report is None:
        raise WorkshopError("not_found")
    was = entry.wall_status
    if show:
        if was != WallStatus.ON_WALL:
            entry.wall_text = _wall_words(report, keep or {})
        entry.wall_status = WallStatus.ON_WALL
    else:
        entry.wall_status = WallStatus.HELD_BACK
    if entry.wall_status == was:
        return entry
    entry.checked_by_id = staff.user.id
    entry.checked_at = utcnow()
    session.add(entry)
    if entry.wall_status == WallStatus.ON_WALL:
        kind = WorkshopEventKind.ENTRY_SHOWN
    elif was == WallStatus.ON_WALL:
        kind = WorkshopEventKind.ENTRY_REMOVED
        session.execute(delete(WorkshopVote).where(col(WorkshopVote.entry_id) == entry_id))
    else:
        kind = WorkshopEventKind.ENTRY_SHOWN if show else WorkshopEventKind.ENTRY_REMOVED
    commit_event(
        session,
        workshop,
        kind,
        entry.id,
        live=live,
        audit_action="workshop.entry_checked",
        actor_id=staff.user.id,
        entry_id=entry.id,
        wall_status=entry.wall_status,
    )
    return entry


# --- Dot-voting -----------------------------------------------------------------------------


def set_voting(
    session: Session,
    staff: StaffIdentity,
    workshop: Workshop,
    status: VotingStatus,
    *,
    live: LiveBroker,
) -> None:
    if workshop.voting == status:
        return
    if status == VotingStatus.OPEN and workshop.ended_at is not None:
        raise WorkshopError("ended")
    workshop.voting = status
    session.add(workshop)
    commit_event(
        session,
        workshop,
        WorkshopEventKind.VOTING_CHANGED,
        None,
        live=live,
        audit_action=f"workshop.voting_{status}",
        actor_id=staff.user.id,
    )


def vote_counts(session: Session, workshop_id: int) -> dict[int, int]:
    query = (
        select(WorkshopVote.entry_id, func.count())
        .where(WorkshopVote.workshop_id == workshop_id)
        .group_by(col(WorkshopVote.entry_id))
    )
    return {int(entry_id): int(count) for entry_id, count in session.exec(query).all()}


def my_votes(session: Session, participant_id: int) -> set[int]:
    return set(
        session.exec(
            select(WorkshopVote.entry_id).where(WorkshopVote.participant_id == participant_id)
        ).all()
    )


def toggle_vote(session: Session, who: Participation, entry_id: int, *, live: LiveBroker) -> bool:
    """Put a dot on a wall entry, or take it back if it is there. True when the dot is now on."""
    workshop, participant = who.workshop, who.participant
    assert workshop.id is not None and participant.id is not None
    if workshop.voting != VotingStatus.OPEN:
        raise WorkshopError("voting_closed")
    entry = session.get(WorkshopEntry, entry_id)
    if entry is None or entry.workshop_id != workshop.id or entry.wall_status != WallStatus.ON_WALL:
        raise WorkshopError("not_found")
    mine = session.exec(
        select(WorkshopVote).where(
            WorkshopVote.participant_id == participant.id, WorkshopVote.entry_id == entry_id
        )
    ).first()
    if mine is not None:
        session.delete(mine)
        commit_event(session, workshop, WorkshopEventKind.VOTES_CHANGED, entry_id, live=live)
        return False
    used = session.exec(
        select(func.count())
        .select_from(WorkshopVote)
        .where(WorkshopVote.participant_id == participant.id)
    ).one()
    if used >= workshop.votes_per_person:
        raise WorkshopError("no_dots_left")
    session.add(
        WorkshopVote(workshop_id=workshop.id, participant_id=participant.id, entry_id=entry_id)
    )
    try:
        session.flush()
    except IntegrityError:
        # A double tap raced itself: the dot is on once, which is what they meant.
        session.rollback()
        return True
    commit_event(session, workshop, WorkshopEventKind.VOTES_CHANGED, entry_id, live=live)
    return True


def workshop_votes_by_context(session: Session, area_id: int) -> dict[int, int]:
    """Dots from this area's finished votes, summed per register context: the context-weighting input.

    Only votes the facilitator has closed count (a running vote is not a result yet), and only on
    entries a moderator has published and linked to a context of the same area.
    """
    query = (
        select(Report.context_id, func.count())
        .select_from(WorkshopVote)
        .join(WorkshopEntry, col(WorkshopEntry.id) == col(WorkshopVote.entry_id))
        .join(Workshop, col(Workshop.id) == col(WorkshopVote.workshop_id))
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .join(Context, col(Context.id) == col(Report.context_id))
        .where(
            col(Workshop.area_id) == area_id,
            col(Workshop.voting) == VotingStatus.CLOSED,
            col(Report.status) == ReportStatus.PUBLISHED,
            col(Context.area_id) == area_id,
        )
        .group_by(col(Report.context_id))
    )
    return {
        int(context_id): int(count)
        for context_id, count in session.exec(query).all()
        if context_id is not None
    }


# --- Wording questions to the room ----------------------------------------------------------


@dataclass
class QuestionResult:
    question: WordingQuestion
    options: list[tuple[WordingOption, int]] = field(default_factory=list)
    my_choice: int | None = None

    @property
    def winner(self) -> WordingOption | None:
        # Most votes wins; a tie goes to the option listed first (the words in use now).
        if not self.options or not any(count for _option, count in self.options):
            return None
        return max(self.options, key=lambda item: (item[1], -item[0].position))[0]


def ask_wording(
    session: Session,
    area: Area,
    staff: StaffIdentity,
    workshop: Workshop,
    data: WordingQuestionCreate,
    *,
    live: LiveBroker,
) -> WordingQuestion:
    assert workshop.id is not None
    family, _, name = data.key.partition(":")
    if family == "category":
        current = dict(
            taxonomy.current_categories(session, area, data.kind, workshop.language)
        ).get(name)
        if current is None:
            raise WorkshopError("unknown_key")
    else:
        try:
            current = taxonomy.question_wording(session, area, data.kind, workshop.language, name)
        except taxonomy.TaxonomyError:
            raise WorkshopError("unknown_key") from None
    question = WordingQuestion(
        workshop_id=workshop.id, kind=data.kind, locale=workshop.language, key=data.key
    )
    session.add(question)
    session.flush()
    assert question.id is not None
    for position, text in enumerate(dict.fromkeys([current, *data.options])):
        session.add(WordingOption(question_id=question.id, text=text, position=position))
    commit_event(
        session,
        workshop,
        WorkshopEventKind.QUESTION_CHANGED,
        question.id,
        live=live,
        audit_action="workshop.wording_asked",
        actor_id=staff.user.id,
        key=data.key,
        report_kind=str(data.kind),
    )
    return question


def answer_wording(
    session: Session, who: Participation, question_id: int, option_id: int, *, live: LiveBroker
) -> None:
    assert who.participant.id is not None
    question = session.get(WordingQuestion, question_id)
    option = session.get(WordingOption, option_id)
    if (
        question is None
        or question.workshop_id != who.workshop.id
        or option is None
        or option.question_id != question_id
    ):
        raise WorkshopError("not_found")
    if not question.is_open:
        raise WorkshopError("voting_closed")
    mine = session.exec(
        select(WordingAnswer).where(
            WordingAnswer.question_id == question_id,
            WordingAnswer.participant_id == who.participant.id,
        )
    ).first()
    if mine is None:
        session.add(
            WordingAnswer(
                question_id=question_id, option_id=option_id, participant_id=who.participant.id
            )
        )
    else:
        mine.option_id = option_id
        session.add(mine)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return
    commit_event(session, who.workshop, WorkshopEventKind.QUESTION_CHANGED, question_id, live=live)


def close_wording(
    session: Session,
    staff: StaffIdentity,
    workshop: Workshop,
    question_id: int,
    *,
    live: LiveBroker,
) -> None:
    question = session.get(WordingQuestion, question_id)
    if question is None or question.workshop_id != workshop.id:
        raise WorkshopError("not_found")
    if not question.is_open:
        return
    question.is_open = False
    session.add(question)
    commit_event(
        session,
        workshop,
        WorkshopEventKind.QUESTION_CHANGED,
        question_id,
        live=live,
        audit_action="workshop.wording_closed",
        actor_id=staff.user.id,
        question_id=question_id,
    )


def wording_results(
    session: Session, questions: Sequence[WordingQuestion], participant_id: int | None = None
) -> list[QuestionResult]:
    ids = [q.id for q in questions if q.id is not None]
    if not ids:
        return []
    options = session.exec(
        select(WordingOption)
        .where(col(WordingOption.question_id).in_(ids))
        .order_by(col(WordingOption.position))
    ).all()
    counts = dict(
        session.exec(
            select(WordingAnswer.option_id, func.count())
            .where(col(WordingAnswer.question_id).in_(ids))
            .group_by(col(WordingAnswer.option_id))
        ).all()
    )
    mine: dict[int, int] = {}
    if participant_id is not None:
        answers = session.exec(
            select(WordingAnswer).where(
                col(WordingAnswer.question_id).in_(ids),
                WordingAnswer.participant_id == participant_id,
            )
        ).all()
        mine = {a.question_id: a.option_id for a in answers}
    results = {q.id: QuestionResult(q, my_choice=mine.get(q.id or 0)) for q in questions}
    for option in options:
        results[option.question_id].options.append((option, int(counts.get(option.id or 0, 0))))
    return list(results.values())


def questions_of(
    session: Session, workshop_id: int, *, open_only: bool = False
) -> Sequence[WordingQuestion]:
    query = select(WordingQuestion).where(WordingQuestion.workshop_id == workshop_id)
    if open_only:
        query = query.where(col(WordingQuestion.is_open).is_(True))
    return session.exec(query.order_by(col(WordingQuestion.id))).all()


def adoptable(session: Session, area_id: int) -> list[tuple[Workshop, QuestionResult]]:
    """Closed wording questions from this area's workshops, not yet adopted, with a winner."""
    query = (
        select(WordingQuestion, Workshop)
        .join(Workshop, col(Workshop.id) == col(WordingQuestion.workshop_id))
        .where(
            col(Workshop.area_id) == area_id,
            col(WordingQuestion.is_open).is_(False),
            col(WordingQuestion.adopted_version_id).is_(None),
        )
        .order_by(col(WordingQuestion.id).desc())
    )
    rows = session.exec(query.limit(50)).all()
    workshops = {q.id: w for q, w in rows}
    return [
        (workshops[r.question.id], r)
        for r in wording_results(session, [q for q, _w in rows])
        if r.winner is not None and not _already_in_use(session, area_id, r)
    ]


def _already_in_use(session: Session, area_id: int, result: QuestionResult) -> bool:
    """The room kept the words the area already uses: there is nothing to adopt."""
    question, winner = result.question, result.winner
    assert winner is not None
    in_force = taxonomy.label_in_force(session, area_id, question.kind, question.key, question.locale)
    return winner.text.strip() == in_force.strip()


def adopt_wording(session: Session, area: Area, staff: StaffIdentity, question_id: int) -> int:
    """An admin makes the room's choice the next taxonomy version; returns the version number."""
    assert area.id is not None
    question = session.get(WordingQuestion, question_id)
    workshop = session.get(Workshop, question.workshop_id) if question else None
    if question is None or workshop is None or workshop.area_id != area.id or question.is_open:
        raise WorkshopError("not_found")
    result = wording_results(session, [question])[0]
    winner = result.winner
    if winner is None:
        raise WorkshopError("no_winner")
    try:
        version = taxonomy.save_version(
            session,
            area,
            actor_id=staff.user.id,
            kind=question.kind,
            locale=question.locale,
            labels={question.key: winner.text},
            note=f"Chosen at the workshop “{workshop.title}”",
        )
    except taxonomy.NoChange:
        version = taxonomy.current_version(session, area.id)  # type: ignore[assignment]
    question.adopted_version_id = version.id if version else None
    session.add(question)
    audit.record(
        session,
        "workshop.wording_adopted",
        area_id=area.id,
        actor_id=staff.user.id,
        subject_type="workshop_question",
        subject_id=question_id,
    )
    session.commit()
    return version.number if version else 0


# --- Output ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    entry: WorkshopEntry
    report: Report
    votes: int
    category_labels: list[str]


@dataclass(frozen=True)
class Summary:
    workshop: Workshop
    participants: int
    entries: int
    by_kind: dict[str, int]
    rows: list[SummaryRow]  # wall entries, most dots first, then the others
    questions: list[QuestionResult]


def summary(session: Session, workshop: Workshop, locale: str) -> Summary:
    assert workshop.id is not None
    counts = vote_counts(session, workshop.id)
    pairs = session.exec(
        select(WorkshopEntry, Report)
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .where(WorkshopEntry.workshop_id == workshop.id)
    ).all()
    rows = [
        SummaryRow(e, r, counts.get(e.id or 0, 0), taxonomy.category_labels_for(session, r, locale))
        for e, r in pairs
    ]
    rows.sort(
        key=lambda row: (row.entry.wall_status != WallStatus.ON_WALL, -row.votes, row.entry.id or 0)
    )
    by_kind: dict[str, int] = {}
    for row in rows:
        by_kind[row.entry.kind] = by_kind.get(row.entry.kind, 0) + 1
    participants = session.exec(
        select(func.count())
        .select_from(WorkshopParticipant)
        .where(WorkshopParticipant.workshop_id == workshop.id)
    ).one()
    return Summary(
        workshop,
        int(participants),
        len(rows),
        by_kind,
        rows,
        wording_results(session, questions_of(session, workshop.id)),
    )


# The place is its gazetteer name and coarse H3 cell, as in the register's export; a place described
# in words is not in it (those words are the reporter's own, not yet checked for personal details).
CSV_COLUMNS = (
    "entry",
    "kind",
    "on_wall",
    "dots",
    "words_on_wall",
    "categories",
    "moderation_status",
    "received_at",
    "place",
    "h3_cell",
)


def export_csv(session: Session, staff: StaffIdentity, workshop: Workshop, locale: str) -> str:
    """The outcome as CSV: only the checked wall words, never what anyone typed before the check."""
    result = summary(session, workshop, locale)
    place_ids = {row.report.place_id for row in result.rows if row.report.place_id is not None}
    places = (
        dict(
            session.exec(
                select(Place.id, Place.name).where(
                    col(Place.id).in_(place_ids), Place.area_id == workshop.area_id
                )
            ).all()
        )
        if place_ids
        else {}
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in result.rows:
        on_wall = row.entry.wall_status == WallStatus.ON_WALL
        writer.writerow(
            [
                row.entry.id,
                row.entry.kind,
                "yes" if on_wall else "no",
                row.votes,
                _csv_safe(row.entry.wall_text if on_wall else ""),
                _csv_safe("; ".join(row.category_labels)),
                row.report.status,
                row.report.created_at.strftime("%Y-%m-%d %H:%M"),
                _csv_safe(places.get(row.report.place_id, "") if row.report.place_id else ""),
                row.report.h3_cell or "",
            ]
        )
    audit.record(
        session,
        "workshop.exported",
        area_id=workshop.area_id,
        actor_id=staff.user.id,
        subject_type="workshop",
        subject_id=workshop.id,
        rows=len(result.rows),
    )
    session.commit()
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheet programs.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def record_summary_viewed(session: Session, staff: StaffIdentity, workshop: Workshop) -> None:
    audit.record(
        session,
        "workshop.summary_viewed",
        area_id=workshop.area_id,
        actor_id=staff.user.id,
        subject_type="workshop",
        subject_id=workshop.id,
    )
    session.commit()
