"""The co-designed taxonomy: each area's own categories and question wording, versioned.

A version is a complete row set of the area's changes from the defaults in app.reports.taxonomy.
Saving makes a new version; old versions are never edited, so a report that records the version it
was answered with (`report.taxonomy_version_id`) keeps the words it was answered with.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class TaxonomyVersion(SQLModel, table=True):
    __tablename__ = "taxonomy_version"
    __table_args__ = (UniqueConstraint("area_id", "number", name="uq_taxonomy_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    number: int
    note: str = Field(default="", max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class TaxonomyCategory(SQLModel, table=True):
    """A category in one version: a default one (maybe hidden) or one the area added."""

    __tablename__ = "taxonomy_category"
    __table_args__ = (UniqueConstraint("version_id", "kind", "code", name="uq_taxonomy_category"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="taxonomy_version.id", index=True)
    kind: str = Field(sa_type=String(20))
    code: str = Field(max_length=60)
    position: int = 0
    hidden: bool = False
    added_by_area: bool = False


class TaxonomyLabel(SQLModel, table=True):
    """The area's own words for one category or question, in one language."""

    __tablename__ = "taxonomy_label"
    __table_args__ = (
        UniqueConstraint("version_id", "kind", "key", "locale", name="uq_taxonomy_label"),
        Index("ix_taxonomy_label_lookup", "version_id", "kind", "locale"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="taxonomy_version.id")
    kind: str = Field(sa_type=String(20))
    # "category:<code>" or "question:<name>"
    key: str = Field(max_length=80)
    locale: str = Field(max_length=10)
    text: str = Field(max_length=300)
