"""Equality answers: a table of their own, never columns of the report.

One row per question answered: codes only, no words, and no time finer than the report's month.
The row names its report only so that it goes when the report goes. The database enforces that
(see migrations/versions/0014_equality_answers.py): deleting a report cascades to its answers, and
a trigger deletes them when the report is withdrawn or retention clears its raw words, so no code
path can keep them longer than the words they came with.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel


class EqualityAnswer(SQLModel, table=True):
    __tablename__ = "equality_answer"
    __table_args__ = (
        Index("ix_equality_answer_area_month", "area_id", "question", "month"),
        Index("uq_equality_answer_report_question", "report_id", "question", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("report.id", ondelete="CASCADE"), nullable=False)
    )
    area_id: int = Field(foreign_key="area.id", index=True)
    month: str = Field(sa_type=String(7))  # "YYYY-MM" of the report: the finest time kept
    question: str = Field(sa_type=String(30))
    answer: str = Field(sa_type=String(40))
