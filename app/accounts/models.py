"""Staff accounts. The public never has one: reporting needs no account, name or contact detail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Role(StrEnum):
    MODERATOR = "moderator"
    STATUTORY = "statutory"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class User(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=120)
    organisation: str = Field(default="", max_length=160)
    password_hash: str | None = Field(default=None, max_length=200)
    is_active: bool = True
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    """A role in one area. Every staff query is scoped through these rows."""

    __tablename__ = "membership"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    area_id: int = Field(foreign_key="area.id", primary_key=True, index=True)
    role: str = Field(sa_type=String(20), primary_key=True)


class StaffSession(SQLModel, table=True):
    """Server-side half of a staff session; the cookie carries a signed random id, never data."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    area_id: int = Field(foreign_key="area.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
