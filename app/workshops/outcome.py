"""A workshop's outcome for staff: the summary page and the CSV, and the audit of who looked.

Only the checked wall words leave the room in the CSV, never what anyone typed before the check.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.areas.models import Place
from app.audit import service as audit
from app.reports.models import Report
from app.taxonomy import service as taxonomy
from app.workshops.models import WallStatus, Workshop, WorkshopEntry, WorkshopParticipant
from app.workshops.wall import vote_counts
from app.workshops.wording import QuestionResult, questions_of, wording_results


@dataclass(frozen=True)
class SummaryRow:
    entry: WorkshopEntry
    report: Report
    votes: int
    category_labels: list[str]


@dataclass(frozen=True)
class Summary:
    workshop: Workshop
    participants: int
    entries: int
    by_kind: dict[str, int]
    rows: list[SummaryRow]  # wall entries, most dots first, then the others
    questions: list[QuestionResult]


def summary(session: Session, workshop: Workshop, locale: str) -> Summary:
    assert workshop.id is not None
    counts = vote_counts(session, workshop.id)
    pairs = session.exec(
        select(WorkshopEntry, Report)
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .where(WorkshopEntry.workshop_id == workshop.id)
    ).all()
    rows = [
        SummaryRow(e, r, counts.get(e.id or 0, 0), taxonomy.category_labels_for(session, r, locale))
        for e, r in pairs
    ]
    rows.sort(
        key=lambda row: (row.entry.wall_status != WallStatus.ON_WALL, -row.votes, row.entry.id or 0)
    )
    by_kind: dict[str, int] = {}
    for row in rows:
        by_kind[row.entry.kind] = by_kind.get(row.entry.kind, 0) + 1
    participants = session.exec(
        select(func.count())
        .select_from(WorkshopParticipant)
        .where(WorkshopParticipant.workshop_id == workshop.id)
    ).one()
    return Summary(
        workshop,
        int(participants),
        len(rows),
        by_kind,
        rows,
        wording_results(session, questions_of(session, workshop.id)),
    )


# The place is its gazetteer name and coarse H3 cell, as in the register's export; a place described
# in words is not in it (those words are the reporter's own, not yet checked for personal details).
CSV_COLUMNS = (
    "entry",
    "kind",
    "on_wall",
    "dots",
    "words_on_wall",
    "categories",
    "moderation_status",
    "received_at",
    "place",
    "h3_cell",
)


def export_csv(session: Session, staff: StaffIdentity, workshop: Workshop, locale: str) -> str:
    """The outcome as CSV: only the checked wall words, never what anyone typed before the check."""
    result = summary(session, workshop, locale)
    place_ids = {row.report.place_id for row in result.rows if row.report.place_id is not None}
    places = (
        dict(
            session.exec(
                select(Place.id, Place.name).where(
                    col(Place.id).in_(place_ids), Place.area_id == workshop.area_id
                )
            ).all()
        )
        if place_ids
        else {}
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in result.rows:
        on_wall = row.entry.wall_status == WallStatus.ON_WALL
        writer.writerow(
            [
                row.entry.id,
                row.entry.kind,
                "yes" if on_wall else "no",
                row.votes,
                _csv_safe(row.entry.wall_text if on_wall else ""),
                _csv_safe("; ".join(row.category_labels)),
                row.report.status,
                row.report.created_at.strftime("%Y-%m-%d %H:%M"),
                _csv_safe(places.get(row.report.place_id, "") if row.report.place_id else ""),
                row.report.h3_cell or "",
            ]
        )
    audit.record(
        session,
        "workshop.exported",
        area_id=workshop.area_id,
        actor_id=staff.user.id,
        subject_type="workshop",
        subject_id=workshop.id,
        rows=len(result.rows),
    )
    session.commit()
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheet programs.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def record_summary_viewed(session: Session, staff: StaffIdentity, workshop: Workshop) -> None:
    audit.record(
        session,
        "workshop.summary_viewed",
        area_id=workshop.area_id,
        actor_id=staff.user.id,
        subject_type="workshop",
        subject_id=workshop.id,
    )
    session.commit()
