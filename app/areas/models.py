"""Areas are tenants: each has its own staff, settings, gazetteer and data, isolated from the rest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.i18n import DEFAULT_TIME_ZONE
from app.core.types import UTCDateTime, utcnow


class Area(SQLModel, table=True):
    __tablename__ = "area"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    name: str = Field(max_length=120)
    hostname: str | None = Field(default=None, max_length=253, unique=True)
    default_locale: str = Field(default="en", max_length=10)
    locales: str = Field(default="en,cy", max_length=100)
    # Where the area's clocks are: an IANA name. Times are stored in UTC and shown in this zone.
    time_zone: str = Field(default=DEFAULT_TIME_ZONE, max_length=60)
    # The languages safeguarding emails are written in, in order (codes, comma-separated); blank:
    # the area's own language only. Each email carries every one of them, so no contact waits for
    # a translation.
    alert_locales: str = Field(default="", max_length=100)
    # Public map cells with fewer published entries than this are hidden (DESIGN: default 5).
    min_cell_count: int = Field(default=5, ge=2)
    retention_days: int = Field(default=90, ge=1)
    h3_resolution: int = Field(default=8, ge=5, le=10)
    safeguarding_emails: str = Field(default="", max_length=1000)
    # The safety net behind any detector: an urgent entry nobody has opened within this many
    # minutes alerts again and widens to the escalation contacts; any entry waiting longer than
    # review_hours alerts the area's moderators.
    urgent_response_minutes: int = Field(default=15, ge=1, le=1440)
    review_hours: int = Field(default=24, ge=1, le=720)
    escalation_emails: str = Field(default="", max_length=1000)
    tile_url: str | None = Field(default=None, max_length=500)
    min_lat: float = 0.0
    min_lng: float = 0.0
    max_lat: float = 0.0
    max_lng: float = 0.0
    # The area's own help contacts: [{"name": ..., "phone": ..., "url": ..., "description": ...}]
    help_contacts: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    @property
    def locale_list(self) -> list[str]:
        return [code.strip() for code in self.locales.split(",") if code.strip()]

    @property
    def alert_locale_list(self) -> list[str]:
        chosen = [code.strip() for code in self.alert_locales.split(",") if code.strip() in self.locale_list]
        return chosen or [self.default_locale]

    def contains(self, lat: float, lng: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lng <= lng <= self.max_lng


class PlaceKind(StrEnum):
    STREET = "street"
    PARK = "park"
    SCHOOL = "school"
    TRANSPORT = "transport"
    SHOP = "shop"
    COMMUNITY = "community"
    OTHER = "other"


class Place(SQLModel, table=True):
    """A named place in the area's gazetteer: what people can pick instead of a map pin."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("area_id", "name", name="uq_place_area_name"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    name: str = Field(max_length=160)
    kind: str = Field(default=PlaceKind.OTHER, sa_type=String(20))
    lat: float
    lng: float
