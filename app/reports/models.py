"""Reports: what a young person, family member or partner tells us about a place or a need."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class ReportKind(StrEnum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    STRUCTURAL = "structural"


class ReportStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class ReportSource(StrEnum):
    YOUNG_PERSON = "young_person"
    FAMILY = "family"
    COMMUNITY = "community"
    PRACTITIONER = "practitioner"
    WORKSHOP = "workshop"
    UNKNOWN = "unknown"


class ReporterRole(StrEnum):
    YOUNG_PERSON = "young_person"
    PARENT_CARER = "parent_carer"
    COMMUNITY_MEMBER = "community_member"
    PRACTITIONER = "practitioner"


class Report(SQLModel, table=True):
    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_queue", "area_id", "status", "urgent", "created_at"),
        Index("ix_report_context", "context_id", "status"),
        # Ids are never reused after a withdrawal or retention, so the audit log never names two
        # reports with one id (PostgreSQL sequences never reuse; SQLite needs AUTOINCREMENT).
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    receipt_code: str = Field(max_length=20, unique=True)
    # Idempotency: a double tap or a retried send carries the same token and finds this row.
    submission_token: str = Field(max_length=64, unique=True)
    kind: str = Field(sa_type=String(20))
    status: str = Field(default=ReportStatus.PENDING, sa_type=String(20))
    source: str = Field(default=ReportSource.UNKNOWN, sa_type=String(20))
    language: str = Field(default="en", max_length=10)

    # Where: a gazetteer place, a map point (raw, moderators only) and its coarse H3 cell, or words.
    place_id: int | None = Field(default=None, foreign_key="place.id")
    location_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    lat: float | None = None
    lng: float | None = None
    h3_cell: str | None = Field(default=None, max_length=20, index=True)

    # When: comma-separated codes (morning, afternoon, evening, night; mon..sun; all_the_time).
    time_bands: str = Field(default="", max_length=100)
    days: str = Field(default="", max_length=100)
    categories: str = Field(default="", max_length=300)
    feeling: int | None = Field(default=None, ge=1, le=5)

    # Raw words: moderators only, deleted after the area's retention period.
    description: str | None = Field(default=None, sa_column=Column(Text))
    what_would_help: str | None = Field(default=None, sa_column=Column(Text))
    # Redacted words: what the register, exports and public pages may ever show.
    public_description: str | None = Field(default=None, sa_column=Column(Text))
    public_what_would_help: str | None = Field(default=None, sa_column=Column(Text))

    age_band: str | None = Field(default=None, max_length=20)
    reporter_role: str | None = Field(default=None, sa_type=String(20))
    group_name: str | None = Field(default=None, max_length=160)

    urgent: bool = False  # true for both "likely" and "possible": both jump the queue
    # What triage said: "likely" (a rule fired or the model is sure), "possible" (the model's
    # recall-first threshold), "none". Moderators confirm or correct it (see TriageLabel).
    urgency: str = Field(default="none", sa_type=String(10))
    urgent_reasons: str = Field(default="", max_length=200)
    # Why triage flagged it, in words a moderator reads (rule cues, strongest model features). They
    # can quote the reporter's words, so retention clears them with the raw text.
    urgent_cues: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    suggested_redactions: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )

    context_id: int | None = Field(default=None, foreign_key="context.id")
    # "Me too": the published context the reporter said this is about (a moderator confirms the link).
    reported_context_id: int | None = Field(default=None, foreign_key="context.id")
    workshop_id: int | None = Field(default=None, foreign_key="workshop.id", index=True)
    taxonomy_version_id: int | None = Field(default=None, foreign_key="taxonomy_version.id")
    show_on_map: bool = False
    rejection_reason: str | None = Field(default=None, max_length=40)
    version: int = 1
    claimed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    moderated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    raw_deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The first time a moderator opened the entry: an urgent entry nobody opens escalates.
    first_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_opened_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    # When the moderators were told that this entry has waited past the area's review time.
    overdue_alerted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The reporter asked to withdraw a possibly urgent report: it is kept for safeguarding and
    # never published. (An ordinary report is deleted when withdrawn.)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split(",") if c]

    @property
    def time_band_list(self) -> list[str]:
        return [c for c in self.time_bands.split(",") if c]

    @property
    def day_list(self) -> list[str]:
        return [c for c in self.days.split(",") if c]
