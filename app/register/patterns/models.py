"""The patterns tables: an area's thresholds, each pattern found, and each weekly run.

A pattern keeps its identity (area, kind, subject, first week) while it lasts; its numbers are
rewritten each week it is found again (`app.register.patterns.runs`). Every kind and facet is stored
as text, so adding one needs no migration.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

# --- Tables ------------------------------------------------------------------------------------


class PatternKind(StrEnum):
    RISING = "rising"  # one context, well above its own baseline
    SHARED = "shared"  # several contexts rising together in something they share


class Facet(StrEnum):
    """What contexts in a shared pattern have in common."""

    THEME = "theme"
    TIME_BAND = "time_band"
    DAY = "day"
    NEIGHBOURHOOD = "neighbourhood"
    PLACE_KIND = "place_kind"


class PatternSettings(SQLModel, table=True):
    """An area's thresholds for finding patterns (no row: the defaults below)."""

    __tablename__ = "pattern_settings"

    area_id: int = Field(foreign_key="area.id", primary_key=True)
    min_count: int = 5
    min_ratio: float = 2.0
    significance: float = 0.01
    recent_weeks: int = 4
    baseline_weeks: int = 12
    min_contexts: int = 3
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_by_id: int | None = Field(default=None, foreign_key="staff_user.id")


class Pattern(SQLModel, table=True):
    """One pattern found in an area: what, which contexts, when, and the numbers that showed it."""

    __tablename__ = "pattern"
    __table_args__ = (
        UniqueConstraint("area_id", "kind", "subject", "first_week", name="uq_pattern_identity"),
        Index("ix_pattern_area_ended", "area_id", "ended_week"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id")
    kind: str = Field(sa_type=String(10))
    # What stays the same while the pattern lasts: "context:12", or "<facet>:<code>".
    subject: str = Field(sa_type=String(120))
    facet: str = Field(default="", sa_type=String(20))
    code: str = Field(default="", sa_type=String(80))
    # Every context it has involved, by id (names are read from the register when shown).
    context_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Weeks are named by the Monday (UTC) their window ends on: the run of that week looked at the
    # complete weeks before it.
    first_week: date
    last_week: date
    ended_week: date | None = None
    weeks_seen: int = 1
    # The latest numbers: counts, expected, ratio, p-value, weekly counts, per-context counts.
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    found_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The email that told the statutory team (no foreign key: as outbox rows, history outlives it).
    message_id: int | None = None

    @property
    def current(self) -> bool:
        return self.ended_week is None


class PatternRun(SQLModel, table=True):
    """One area's weekly look. Unique per area and week: the claim that makes a run happen once."""

    __tablename__ = "pattern_run"
    __table_args__ = (UniqueConstraint("area_id", "week", name="uq_pattern_run_week"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id")
    week: date
    ran_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    new: int = 0
    continuing: int = 0
    ended: int = 0
