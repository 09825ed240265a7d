"""The reporter's optional "tell me when something changes" address, kept apart from the report.

Its own table, so nothing that reads reports (the queue, the register, exports, the audit trail)
ever reaches it. The address is encrypted at rest (app.reports.notices seals it with a key derived
from the secret key); the stop link's token is stored only as a hash. The row is deleted with its
report, when the report is taken back or closed, and after twelve months.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class ReporterNotice(SQLModel, table=True):
    __tablename__ = "reporter_notice"

    id: int | None = Field(default=None, primary_key=True)
    # One address per report; deleted with its report (an ordinary withdrawal deletes the report).
    report_id: int = Field(foreign_key="report.id", ondelete="CASCADE", unique=True, index=True)
    # The address and the stop link's token, sealed together (Fernet): unreadable without the key.
    sealed: str = Field(sa_column=Column(Text, nullable=False))
    # The language the reporter used when they asked: the email is written in it.
    locale: str = Field(max_length=10)
    # A hash of what /track showed when we last told them (or when they asked): news is a new hash.
    shown_hash: str = Field(max_length=64)
    # sha256 of the stop link's token: a link in an email finds its row without the token being kept.
    stop_token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When an email was last handed to the mail server: at most one a day.
    last_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
