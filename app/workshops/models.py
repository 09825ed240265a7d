"""Co-design workshops: a room of people on their phones, a live wall, and dot-voting on priorities.

Participants have no account. A join code gives them a short-lived participant session whose
cookie holds a signed random token; only its SHA-256 is stored here, with no personal detail.
Their entries are ordinary reports (source "workshop", `report.workshop_id`), so they go through
normal moderation into the register; `WorkshopEntry` adds only what the room needs: whose phone
it came from (so they can see and withdraw it) and whether the facilitator put it on the wall.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Date, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class WallStatus(StrEnum):
    WAITING = "waiting"  # sent by a participant, not yet checked by the facilitator
    ON_WALL = "on_wall"
    HELD_BACK = "held_back"  # the facilitator kept it off the wall; it still goes to moderation


class VotingStatus(StrEnum):
    NOT_STARTED = "not_started"
    OPEN = "open"
    CLOSED = "closed"


class WorkshopMode(StrEnum):
    WORKSHOP = "workshop"  # entries, the wall and dot-voting
    SAFETY_WALK = "safety_walk"  # the same, plus a route of stops the group walks and rates


class WorkshopEventKind(StrEnum):
    ENTRY_ADDED = "entry_added"
    ENTRY_SHOWN = "entry_shown"
    ENTRY_REMOVED = "entry_removed"
    VOTES_CHANGED = "votes_changed"
    VOTING_CHANGED = "voting_changed"
    QUESTION_CHANGED = "question_changed"
    STOP_CHANGED = "stop_changed"  # a safety walk's group moved to another stop (or the walk ended)
    RATINGS_CHANGED = "ratings_changed"


class Workshop(SQLModel, table=True):
    __tablename__ = "workshop"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    title: str = Field(max_length=160)
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    language: str = Field(default="en", max_length=10)
    # Which kinds of entry this room is asked about (comma-separated ReportKind codes).
    kinds: str = Field(default="safe,unsafe,structural", max_length=60)
    # Prompts shown to the room, one per line ("Where do you go after school?").
    prompts: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    votes_per_person: int = Field(default=3, ge=1, le=10)
    join_code: str = Field(max_length=6, unique=True)
    code_expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    voting: str = Field(default=VotingStatus.NOT_STARTED, sa_type=String(20))
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last event's number: taken under the row lock in the same transaction as the event, so
    # numbers are handed out in commit order and a reader that has seen N has seen everything below.
    event_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    mode: str = Field(
        default=WorkshopMode.WORKSHOP,
        sa_type=String(20),
        sa_column_kwargs={"server_default": WorkshopMode.WORKSHOP.value},
    )
    # A safety walk's current stop, by position (1 = the first stop); 0 until the group sets off.
    walk_position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    @property
    def kind_list(self) -> list[str]:
        return [k for k in self.kinds.split(",") if k]

    @property
    def prompt_list(self) -> list[str]:
        return [p.strip() for p in self.prompts.splitlines() if p.strip()]

    @property
    def is_safety_walk(self) -> bool:
        return self.mode == WorkshopMode.SAFETY_WALK

    def is_joinable(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.code_expires_at


class WorkshopParticipant(SQLModel, table=True):
    """One phone in the room. Nothing about the person: a token hash and when it stops working."""

    __tablename__ = "workshop_participant"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class WorkshopEntry(SQLModel, table=True):
    __tablename__ = "workshop_entry"
    __table_args__ = (Index("ix_workshop_entry_wall", "workshop_id", "wall_status"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id")
    report_id: int = Field(foreign_key="report.id", unique=True)
    participant_id: int = Field(foreign_key="workshop_participant.id", index=True)
    kind: str = Field(sa_type=String(20))
    wall_status: str = Field(default=WallStatus.WAITING, sa_type=String(20))
    # What the wall shows: the words after the facilitator's check (suggested personal details out).
    wall_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    checked_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A note made at a safety walk's stop.
    walk_stop_id: int | None = Field(default=None, foreign_key="workshop_walk_stop.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WorkshopVote(SQLModel, table=True):
    """A dot on a wall entry. One per participant per entry: N dots mean N different priorities."""

    __tablename__ = "workshop_vote"
    __table_args__ = (UniqueConstraint("participant_id", "entry_id", name="uq_workshop_vote_once"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="workshop_participant.id")
    entry_id: int = Field(foreign_key="workshop_entry.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WorkshopEvent(SQLModel, table=True):
    """What happened in the room, numbered per workshop. Live walls replay these after a reconnect."""

    __tablename__ = "workshop_event"
    __table_args__ = (UniqueConstraint("workshop_id", "seq", name="uq_workshop_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id")
    seq: int
    kind: str = Field(sa_type=String(30))
    subject_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WordingQuestion(SQLModel, table=True):
    """ "What should we call this?" put to the room: one choice per participant, changeable while open."""

    __tablename__ = "workshop_question"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    kind: str = Field(sa_type=String(20))
    locale: str = Field(max_length=10)
    # A taxonomy key: "category:<code>" or "question:<name>" (see app.taxonomy.defaults).
    key: str = Field(max_length=80)
    is_open: bool = True
    adopted_version_id: int | None = Field(default=None, foreign_key="taxonomy_version.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WordingOption(SQLModel, table=True):
    __tablename__ = "workshop_question_option"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="workshop_question.id", index=True)
    text: str = Field(max_length=200)
    position: int = 0


class WordingAnswer(SQLModel, table=True):
    __tablename__ = "workshop_question_answer"
    __table_args__ = (
        UniqueConstraint("question_id", "participant_id", name="uq_workshop_answer_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="workshop_question.id")
    option_id: int = Field(foreign_key="workshop_question_option.id", index=True)
    participant_id: int = Field(foreign_key="workshop_participant.id")


class WalkStop(SQLModel, table=True):
    """One stop on a safety walk's route: a named place from the gazetteer, or a point typed by name."""

    __tablename__ = "workshop_walk_stop"
    __table_args__ = (UniqueConstraint("workshop_id", "position", name="uq_walk_stop_position"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    position: int = Field(ge=1)
    name: str = Field(max_length=160)
    place_id: int | None = Field(default=None, foreign_key="place.id")
    # The entry the stop became when the walk ended: its ratings, on their way through moderation.
    report_id: int | None = Field(default=None, foreign_key="report.id", unique=True)


class WalkRating(SQLModel, table=True):
    """One phone's ratings of one stop (Safetipin's audit parameters), changeable while the group is there.

    Nothing about the person: scores only. A note is sent as an ordinary workshop entry (so it is
    triaged and moderated like one) that names its stop (`WorkshopEntry.walk_stop_id`).
    """

    __tablename__ = "workshop_walk_rating"
    __table_args__ = (UniqueConstraint("stop_id", "participant_id", name="uq_walk_rating_once"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    stop_id: int = Field(foreign_key="workshop_walk_stop.id", index=True)
    participant_id: int = Field(foreign_key="workshop_participant.id")
    lighting: int | None = Field(default=None, ge=1, le=3)
    openness: int | None = Field(default=None, ge=1, le=3)
    visibility: int | None = Field(default=None, ge=1, le=3)
    people: int | None = Field(default=None, ge=1, le=3)
    trusted_adults: int | None = Field(default=None, ge=1, le=3)
    transport: int | None = Field(default=None, ge=1, le=3)
    feeling: int | None = Field(default=None, ge=1, le=5)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
