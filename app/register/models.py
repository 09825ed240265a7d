"""The context register: places and settings, never children (Contextual Safeguarding)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow
from app.reports.models import Report


class ContextKind(StrEnum):
    PLACE = "place"
    ONLINE = "online"
    SETTING = "setting"


class ContextStatus(StrEnum):
    """The Level 2 cycle, in order."""

    NEW = "new"
    WATCHING = "watching"
    ASSESSING = "assessing"
    ON_PANEL_AGENDA = "on_panel_agenda"
    PLAN_IN_PLACE = "plan_in_place"
    REVIEWING = "reviewing"
    CLOSED = "closed"


class Context(SQLModel, table=True):
    __tablename__ = "context"
    __table_args__ = (Index("ix_context_area_status", "area_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    name: str = Field(max_length=160)
    kind: str = Field(default=ContextKind.PLACE, sa_type=String(20))
    status: str = Field(default=ContextStatus.NEW, sa_type=String(20))
    place_id: int | None = Field(default=None, foreign_key="place.id")
    h3_cell: str | None = Field(default=None, max_length=20)
    # The neighbourhood assessment triangle.
    strengths: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    guardianship: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    environment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    flagged_for_panel: bool = False
    # Why it is on the next panel's agenda, and since when (cleared when the panel records a decision).
    panel_reason: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The area's own neighbourhood names (filters and the panel paper group by them).
    neighbourhood: str = Field(default="", max_length=80, sa_column_kwargs={"server_default": ""})
    # A context merged into another stays as a closed record pointing at the one that carries on.
    merged_into_id: int | None = Field(default=None, foreign_key="context.id")
    # When its newest published entry was made: the register's "activity" sort reads this, not the
    # entries (kept by app.register.counts in the same transaction as the entry's change).
    last_entry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ContextStatusChange(SQLModel, table=True):
    __tablename__ = "context_status_change"

    id: int | None = Field(default=None, primary_key=True)
    context_id: int = Field(foreign_key="context.id", index=True)
    from_status: str | None = Field(default=None, sa_type=String(20))
    to_status: str = Field(sa_type=String(20))
    changed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    # What the person typed, as they typed it.
    note: str = Field(default="", max_length=500)
    # A note the product writes (a merge, a panel flag or decision) is a code and its values,
    # put into words in the reader's language when shown (app.register.labels.status_note).
    note_code: str = Field(default="", max_length=40)
    note_params: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=lambda: {}))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ResponseType(StrEnum):
    """Responses recorded in the register include relational ones, not only enforcement."""

    RELATIONAL = "relational"  # youth work, detached outreach, trusted adults
    PROVISION = "provision"  # somewhere to go, activities, services
    GUARDIANSHIP = "guardianship"  # shop staff, drivers, wardens briefed to look out
    ENVIRONMENT = "environment"  # lighting, design, transport
    POLICY = "policy"  # practice or policy change
    ENFORCEMENT = "enforcement"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STOPPED = "stopped"


class Action(SQLModel, table=True):
    __tablename__ = "action"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    context_id: int = Field(foreign_key="context.id", index=True)
    title: str = Field(max_length=200)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    owner_organisation: str = Field(max_length=160)
    response_type: str = Field(default=ResponseType.RELATIONAL, sa_type=String(20))
    status: str = Field(default=ActionStatus.PLANNED, sa_type=String(20))
    due_date: date | None = None
    # "You said, we did": the plain-words version, published only when a person chooses to.
    public_summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Who checked and published the plain-words version (a moderator; see service.publish_action).
    published_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    # Set when the action was agreed at a panel.
    decision_id: int | None = Field(default=None, foreign_key="panel_decision.id")
    # When the work started and finished: the days app.register.outcomes compares entries either side of.
    started_on: date | None = None
    completed_on: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AssessmentField(StrEnum):
    """The Contextual Safeguarding neighbourhood assessment triangle."""

    STRENGTHS = "strengths"
    GUARDIANSHIP = "guardianship"
    ENVIRONMENT = "environment"


class ContextNoteChange(SQLModel, table=True):
    """Every edit of a context's assessment notes, with the text before and after."""

    __tablename__ = "context_note_change"

    id: int | None = Field(default=None, primary_key=True)
    context_id: int = Field(foreign_key="context.id", index=True)
    field: str = Field(sa_type=String(20))
    before: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    after: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    changed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RegroupingKind(StrEnum):
    MERGE = "merge"
    SPLIT = "split"


class ContextRegrouping(SQLModel, table=True):
    """A merge (all entries of source into target) or a split (some entries of source into a new target)."""

    __tablename__ = "context_regrouping"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    kind: str = Field(sa_type=String(10))
    source_context_id: int = Field(foreign_key="context.id", index=True)
    target_context_id: int = Field(foreign_key="context.id", index=True)
    entries: int = 0
    note: str = Field(default="", max_length=500)
    changed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PanelDecision(SQLModel, table=True):
    """What a panel decided about a context on the day."""

    __tablename__ = "panel_decision"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    context_id: int = Field(foreign_key="context.id", index=True)
    panel_date: date
    decision: str = Field(sa_column=Column(Text, nullable=False))
    to_status: str | None = Field(default=None, sa_type=String(20))
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AggregateDimension(StrEnum):
    """What a context_aggregate row counts (see app.register.counts)."""

    ENTRIES = "entries"  # by month and kind
    URGENT = "urgent"  # by month and kind
    THEME = "theme"  # by month, kind and category code
    TIME_BAND = "time_band"  # by code only
    DAY = "day"  # by code only
    SOURCE = "source"  # by code only


class ContextAggregate(SQLModel, table=True):
    """How many published entries a context has, by one dimension: the register reads these, never
    the entries themselves, so its cost follows the number of contexts rather than of reports.

    Kept in the same transaction as every change that moves an entry in or out of a context
    (publish, withdrawal, merge, split); `safetymap register rebuild-counts` recomputes them.
    `month` ('YYYY-MM') and `kind` are '' for the dimensions that are not broken down by them.
    """

    __tablename__ = "context_aggregate"
    __table_args__ = (Index("ix_context_aggregate_area", "area_id", "dimension", "month"),)

    context_id: int = Field(foreign_key="context.id", primary_key=True)
    dimension: str = Field(sa_type=String(12), primary_key=True)
    month: str = Field(sa_type=String(7), primary_key=True)
    kind: str = Field(sa_type=String(20), primary_key=True)
    code: str = Field(sa_type=String(60), primary_key=True)
    area_id: int = Field(foreign_key="area.id")
    count: int = 0


# Published entries of an area by context, kind and month. The register itself now reads
# context_aggregate instead; the workshop vote tally and the exports still filter on these columns.
# Declared here, beside the queries it served, rather than in app/reports.
Index(
    "ix_report_register",
    Report.__table__.c.area_id,  # type: ignore[attr-defined]
    Report.__table__.c.status,  # type: ignore[attr-defined]
    Report.__table__.c.context_id,  # type: ignore[attr-defined]
    Report.__table__.c.kind,  # type: ignore[attr-defined]
    Report.__table__.c.created_at,  # type: ignore[attr-defined]
)
# A context's entries, newest first, a page at a time (the profile page).
Index(
    "ix_report_context_created",
    Report.__table__.c.context_id,  # type: ignore[attr-defined]
    Report.__table__.c.status,  # type: ignore[attr-defined]
    Report.__table__.c.created_at,  # type: ignore[attr-defined]
)
