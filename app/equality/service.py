"""Recording equality answers, and the disproportionality view built from them.

The view counts reports, never people, and shows what people said: for each group, its share of
everyone who answered next to its share of those who said they felt unsafe, by kind of place and by
category. Every table goes through app.register.suppression with the area's k (the public map's
`min_cell_count`), so no small group can be picked out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select as sa_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.areas.models import Area, Place, PlaceKind
from app.equality import questions
from app.equality.models import EqualityAnswer
from app.register import periods
from app.register.suppression import SuppressedTable, suppress_table
from app.reports.models import Report, ReportKind, ReportStatus

NOT_ANSWERED = "not_answered"
NOT_A_GAZETTEER_PLACE = "not_said"
POLICING = "policing_stop_search"  # the structural category the view always shows
UNSAFE_FEELINGS = (1, 2)


def record_answers(session: Session, report: Report, values: dict[str, object]) -> int:
    """Store the equality answers given with a just-sent report, in their own rows; commits.

    Only codes are kept, with the report's month. Returns how many answers were stored.
    """
    chosen = questions.chosen_answers(values)
    if not chosen:
        return 0
    assert report.id is not None
    month = periods.month_key(report.created_at)
    for question, answer in chosen.items():
        session.add(
            EqualityAnswer(
                report_id=report.id,
                area_id=report.area_id,
                month=month,
                question=question,
                answer=answer,
            )
        )
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        raise
    return len(chosen)


def answers_for(session: Session, report_id: int) -> dict[str, str]:
    rows = session.exec(
        select(EqualityAnswer).where(col(EqualityAnswer.report_id) == report_id)
    ).all()
    return {row.question: row.answer for row in rows}


@dataclass(frozen=True)
class Breakdown:
    columns: list[str]  # codes: place kinds or category codes
    table: SuppressedTable


@dataclass(frozen=True)
class Disproportionality:
    question: questions.Question
    groups: list[str]  # row codes: the question's groups, then NOT_ANSWERED
    k: int
    reports: int  # all reports counted in the period (before any suppression; shown only if >= k)
    overall: SuppressedTable  # columns: all reporters, felt unsafe
    by_place: Breakdown  # reports that felt unsafe, by kind of place; rows add up to "felt unsafe"
    by_category: Breakdown  # reports naming each category (a report may name several)


def felt_unsafe(kind: str, feeling: int | None) -> bool:
    return kind == ReportKind.UNSAFE or feeling in UNSAFE_FEELINGS


def disproportionality(
    session: Session, area: Area, question_code: str, period: str, *, today: date
) -> Disproportionality:
    """The view for one question over one period. Read-only: it never takes a write lock."""
    question = questions.QUESTIONS[question_code]
    assert area.id is not None
    since = periods.period_start(today, period)
    answer = (
        select(EqualityAnswer.report_id, EqualityAnswer.answer)
        .where(
            col(EqualityAnswer.area_id) == area.id, col(EqualityAnswer.question) == question.code
        )
        .subquery()
    )
    query = (
        sa_select(
            col(Report.kind),
            col(Report.feeling),
            col(Report.categories),
            col(Place.kind),
            answer.c.answer,
        )
        .outerjoin(Place, col(Place.id) == col(Report.place_id))
        .outerjoin(answer, answer.c.report_id == col(Report.id))
        .where(
            col(Report.area_id) == area.id,
            col(Report.status) == ReportStatus.PUBLISHED,
            col(Report.withdrawn_at).is_(None),
            # Retention takes the answers with the raw words: older reports cannot be counted fairly.
            col(Report.raw_deleted_at).is_(None),
        )
    )
    if since is not None:
        query = query.where(col(Report.created_at) >= since)
    rows = session.execute(query).all()
    session.close()  # everything is loaded: no transaction stays open while the page renders

    groups = [*question.groups, NOT_ANSWERED]
    place_kinds = [*(kind.value for kind in PlaceKind), NOT_A_GAZETTEER_PLACE]
    everyone: Counter[str] = Counter()
    unsafe: Counter[str] = Counter()
    by_place: Counter[tuple[str, str]] = Counter()
    by_category: Counter[tuple[str, str]] = Counter()
    named: set[str] = {POLICING}
    for kind, feeling, categories, place_kind, given in rows:
        group = question.group_of(given) if given else NOT_ANSWERED
        everyone[group] += 1
        if felt_unsafe(kind, feeling):
            unsafe[group] += 1
            by_place[(group, place_kind or NOT_A_GAZETTEER_PLACE)] += 1
        for code in {c for c in (categories or "").split(",") if c}:
            by_category[(group, code)] += 1
            named.add(code)
    categories_named = sorted(named)

    k = area.min_cell_count
    place_table = suppress_table(
        [[by_place[(g, p)] for p in place_kinds] for g in groups],
        k,
        rows_add_up=True,
        columns_add_up=True,
    )
    everyone_table = suppress_table(
        [[everyone[g]] for g in groups], k, rows_add_up=False, columns_add_up=True
    )
    # "Felt unsafe" is the place table's row totals: one number, so it is hidden in both or neither.
    overall = SuppressedTable(
        [[everyone_table.rows[i][0], place_table.rows[i][-1]] for i in range(len(groups))],
        [everyone_table.totals[0], place_table.totals[-1]]
        if everyone_table.totals and place_table.totals
        else None,
        rows_add_up=False,
    )
    category_table = suppress_table(
        [[by_category[(g, c)] for c in categories_named] for g in groups],
        k,
        rows_add_up=False,
        columns_add_up=True,
    )
    return Disproportionality(
        question=question,
        groups=groups,
        k=k,
        reports=len(rows),
        overall=overall,
        by_place=Breakdown(place_kinds, place_table),
        by_category=Breakdown(categories_named, category_table),
    )


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def column_shares(table: SuppressedTable, column: int) -> Sequence[float | None]:
    """Each row's share of a column, where both the cell and the column total are shown."""
    total = table.totals[column] if table.totals is not None else None
    return [
        share(row[column].count, total.count)
        if total is not None and total.shown and row[column].shown
        else None
        for row in table.rows
    ]
