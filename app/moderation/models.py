"""Moderation decisions: who decided what about an entry, and why."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
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
