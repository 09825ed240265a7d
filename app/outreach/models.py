"""Posters, partners' links and campaigns: how people hear about Safety Map, counted, never tracked."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class LinkKind(StrEnum):
    POSTER = "poster"  # printed, with a QR code: a youth club's noticeboard, a bus shelter
    PARTNER = "partner"  # a partner's own link: a school's website, a library's newsletter


class Campaign(SQLModel, table=True):
    """A window of time when an area asks people to tell it something, with an end date."""

    __tablename__ = "outreach_campaign"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    name: str = Field(max_length=120)
    purpose: str = Field(default="", max_length=500)
    starts_on: date
    ends_on: date
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OutreachLink(SQLModel, table=True):
    """One poster or one partner's link. Its code is in the QR code and the URL (/r/CODE)."""

    __tablename__ = "outreach_link"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    code: str = Field(max_length=16, unique=True, index=True)
    kind: str = Field(default=LinkKind.POSTER, sa_type=String(12))
    label: str = Field(max_length=120)
    partner_name: str = Field(default="", max_length=160)
    place_id: int | None = Field(default=None, foreign_key="place.id")
    campaign_id: int | None = Field(default=None, foreign_key="outreach_campaign.id", index=True)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OutreachCount(SQLModel, table=True):
    """How many times a link was opened on a day. A number per day, nothing about who."""

    __tablename__ = "outreach_count"

    link_id: int = Field(foreign_key="outreach_link.id", primary_key=True)
    day: date = Field(primary_key=True)
    visits: int = Field(default=0)
