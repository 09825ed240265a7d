"""Moderation decisions: who decided what about an entry, and why."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Decision(StrEnum):
    PUBLISH = "publish"
    REJECT = "reject"


class RejectionReason(StrEnum):
    SPAM = "spam"
    DUPLICATE = "duplicate"
    NOT_IN_AREA = "not_in_area"
    NOT_ABOUT_A_PLACE = "not_about_a_place"
    IDENTIFIES_SOMEONE = "identifies_someone"
    HANDLED_ELSEWHERE = "handled_elsewhere"


class ModerationDecision(SQLModel, table=True):
    __tablename__ = "moderation_decision"

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: a withdrawn report is deleted, and its decisions stay as history.
    report_id: int = Field(index=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    moderator_id: int = Field(foreign_key="staff_user.id")
    decision: str = Field(sa_type=String(20))
    reason: str | None = Field(default=None, max_length=40)
    context_id: int | None = Field(default=None, foreign_key="context.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SafeguardingAlert(SQLModel, table=True):
    """An email to the area's safeguarding contacts about a possible disclosure, until someone acknowledges it.

    The email carries a link, never the words. Unacknowledged alerts are re-sent after a while.
    """

    __tablename__ = "safeguarding_alert"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    # No foreign key: a withdrawn report is deleted, and the alert's history stays.
    report_id: int = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_count: int = 0
    last_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=60)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    # Set when nobody opened the entry within the area's urgent response time and the alert went
    # to the escalation contacts as well.
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxState(StrEnum):
    QUEUED = "queued"  # waiting for its first or next try (next_attempt_at)
    SENDING = "sending"  # claimed by one process; back to queued if that process dies
    SENT = "sent"  # the mail server accepted it
    FAILED = "failed"  # tried max times; last_error says why
    UNDELIVERABLE = "undeliverable"  # no mail server is set up, or nobody to send it to


class OutboxPurpose(StrEnum):
    ALERT = "alert"  # a new possible disclosure
    RESEND = "resend"  # still not acknowledged
    ESCALATION = "escalation"  # nobody opened an urgent entry in time
    OVERDUE = "overdue"  # an entry waited past the area's review time
    PATTERN = "pattern"  # new patterns for the statutory team (app.register.patterns.runs)


class OutboxMessage(SQLModel, table=True):
    """Every email the platform means to send, with what happened to it. Nothing is kept only in
    memory: a person can always see whether an alert reached anyone, and why not."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    alert_id: int | None = Field(default=None, index=True)
    # No foreign key: the history of a message outlives a withdrawn or retained report.
    report_id: int | None = Field(default=None, index=True)
    purpose: str = Field(sa_type=String(20))
    # Staff addresses only, never a reporter's. The body carries a link, never the report's words.
    recipients: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    locale: str = Field(default="en", max_length=10)
    state: str = Field(default=OutboxState.QUEUED, sa_type=String(20))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TriageOutcome(StrEnum):
    CONFIRMED = "confirmed"  # flagged, and the moderator agrees it may be a disclosure
    CORRECTED = "corrected"  # flagged, and the moderator says it is not
    MISSED = "missed"  # not flagged, and the moderator marked it urgent
    AGREED = "agreed"  # not flagged, and the moderator agrees it is not urgent


class TriageLabel(SQLModel, table=True):
    """A moderator's call on triage's call: the labels an area can retrain the detector with."""

    __tablename__ = "triage_label"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    # One label per report, updated if a moderator changes their mind. No foreign key: the label's
    # counts outlive the report; its text is read from the report while retention keeps it.
    report_id: int = Field(unique=True)
    language: str = Field(default="en", max_length=10)
    flagged: str = Field(sa_type=String(10))  # what triage said: likely, possible, none
    urgent: bool  # what the moderator said
    outcome: str = Field(sa_type=String(12))
    moderator_id: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
