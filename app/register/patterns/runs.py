"""The weekly run: read each area's window, find its patterns, store them, tell the statutory team.

Reporting: each run is a `pattern_run` row, unique per area and week, claimed before anything is
written, so two app processes (or a cron job run twice) look at an area's week once. A pattern found
again in a later week is the same row, "still rising"; one that is no longer found becomes past, and
comes back to the same row if it rises again within the recent window. Only new patterns are
emailed, through the outbox (app.moderation.outbox.enqueue), to the area's statutory team: context
names, numbers and a link, never what anyone wrote.

Entries are counted by the week they were made (UTC, weeks from Monday), only once moderators have
published them; only their codes are read, never their words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import Membership, Role, User
from app.areas.models import Area, Place
from app.audit import service as audit
from app.core.db import Database
from app.core.logs import fault_summary
from app.core.types import utcnow
from app.moderation import outbox
from app.moderation.models import OutboxPurpose
from app.register.models import Context
from app.register.patterns.detection import (
    ContextFacts,
    Detection,
    Finding,
    Thresholds,
    WindowEntry,
    detect,
)
from app.register.patterns.models import Pattern, PatternRun
from app.register.patterns.settings import thresholds_for
from app.register.patterns.words import email_item, facet_labels, facet_name
from app.reports.models import Report, ReportKind, ReportStatus
from app.taxonomy.service import category_names

log = logging.getLogger("safetymap.patterns")


# --- Reading the window from the database ----------------------------------------------------


def week_ending(now: datetime) -> date:
    """The Monday (UTC) that ends the window of complete weeks a run at `now` looks at."""
    today = now.astimezone(UTC).date()
    return today - timedelta(days=today.weekday())


def window_start(week: date, thresholds: Thresholds) -> date:
    return week - timedelta(weeks=thresholds.recent_weeks + thresholds.baseline_weeks)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _codes(value: str | None) -> tuple[str, ...]:
    return tuple(sorted({code for code in (value or "").split(",") if code}))


def load_window(
    session: Session, area_id: int, week: date, thresholds: Thresholds
) -> tuple[list[WindowEntry], dict[int, ContextFacts]]:
    """The area's published unsafe entries in the window (their codes only, never their words)."""
    start = window_start(week, thresholds)
    rows = session.execute(
        sa_select(
            col(Report.context_id),
            col(Report.created_at),
            col(Report.categories),
            col(Report.time_bands),
            col(Report.days),
        ).where(
            col(Report.area_id) == area_id,
            col(Report.status) == ReportStatus.PUBLISHED,
            col(Report.kind) == ReportKind.UNSAFE,
            col(Report.context_id).is_not(None),
            col(Report.created_at) >= _midnight(start),
            col(Report.created_at) < _midnight(week),
        )
    ).all()
    start_at = _midnight(start)
    entries = [
        WindowEntry(
            int(context_id),
            (created_at - start_at).days // 7,
            _codes(categories),
            _codes(time_bands),
            _codes(days),
        )
        for context_id, created_at, categories, time_bands, days in rows
        if context_id is not None
    ]
    wanted = sorted({e.context_id for e in entries})
    contexts: dict[int, ContextFacts] = {}
    for offset in range(0, len(wanted), 500):
        found = session.exec(
            select(Context.id, Context.name, Context.neighbourhood, Place.kind)
            .join(Place, col(Place.id) == col(Context.place_id), isouter=True)
            .where(Context.area_id == area_id, col(Context.id).in_(wanted[offset : offset + 500]))
        ).all()
        for context_id, name, neighbourhood, place_kind in found:
            if context_id is not None:
                contexts[context_id] = ContextFacts(
                    context_id, name, neighbourhood or "", place_kind or ""
                )
    return entries, contexts


def find_patterns(session: Session, area: Area, week: date) -> tuple[Thresholds, Detection]:
    assert area.id is not None
    thresholds = thresholds_for(session, area.id)
    entries, contexts = load_window(session, area.id, week, thresholds)
    return thresholds, detect(entries, contexts, thresholds, area.min_cell_count)


# --- A run -------------------------------------------------------------------------------------


@dataclass
class AreaRun:
    slug: str
    week: date
    new: list[Finding] = field(default_factory=list)
    continuing: list[Finding] = field(default_factory=list)
    ended: int = 0
    already_done: bool = False
    failed: bool = False
    message_id: int | None = None


def statutory_emails(session: Session, area_id: int) -> tuple[str, ...]:
    """The area's statutory team: everyone with the register's statutory role, active."""
    query = (
        select(User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            Membership.area_id == area_id,
            Membership.role == Role.STATUTORY,
            col(User.is_active).is_(True),
        )
        .order_by(col(User.email))
    )
    return tuple(dict.fromkeys(session.exec(query).all()))


def _open_patterns(session: Session, area_id: int) -> dict[tuple[str, str], Pattern]:
    rows = session.exec(
        select(Pattern).where(Pattern.area_id == area_id, col(Pattern.ended_week).is_(None))
    ).all()
    return {(p.kind, p.subject): p for p in rows}


def _recently_ended(
    session: Session, area_id: int, kind: str, subject: str, since: date
) -> Pattern | None:
    query = (
        select(Pattern)
        .where(
            Pattern.area_id == area_id,
            Pattern.kind == kind,
            Pattern.subject == subject,
            col(Pattern.ended_week).is_not(None),
            col(Pattern.last_week) >= since,
        )
        .order_by(col(Pattern.last_week).desc())
    )
    return session.exec(query).first()


def run_area(
    db: Database, area_id: int, *, base_url: str, now: datetime, dry_run: bool = False
) -> AreaRun:
    """One area's weekly look: find, store, tell. Safe to call twice or from two processes at once."""
    week = week_ending(now)
    with db.read() as session:
        area = session.get(Area, area_id)
        assert area is not None
        thresholds, detection = find_patterns(session, area, week)
        open_now = _open_patterns(session, area_id)
        already = (
            session.exec(
                select(PatternRun.id).where(PatternRun.area_id == area_id, PatternRun.week == week)
            ).first()
            is not None
        )
    result = AreaRun(area.slug, week, already_done=already)
    if dry_run or already:
        found = {(f.kind, f.subject) for f in detection.findings}
        result.new = [f for f in detection.findings if (f.kind, f.subject) not in open_now]
        result.continuing = [f for f in detection.findings if (f.kind, f.subject) in open_now]
        result.ended = len(set(open_now) - found)
        if already and not dry_run:
            result.new, result.continuing, result.ended = [], [], 0
        return result
    try:
        with db.transaction() as session:
            run = PatternRun(area_id=area_id, week=week, ran_at=now)
            session.add(run)
            session.flush()  # the claim: a second process stops here (unique area and week)
            _record(session, area, run, thresholds, detection, result, base_url=base_url, now=now)
    except IntegrityError:
        return AreaRun(area.slug, week, already_done=True)
    return result


def _record(
    session: Session,
    area: Area,
    run: PatternRun,
    thresholds: Thresholds,
    detection: Detection,
    result: AreaRun,
    *,
    base_url: str,
    now: datetime,
) -> None:
    assert area.id is not None
    week = run.week
    open_now = _open_patterns(session, area.id)
    found: set[tuple[str, str]] = set()
    new_rows: list[Pattern] = []
    for finding in detection.findings:
        key = (finding.kind, finding.subject)
        found.add(key)
        evidence = finding.evidence(thresholds, area.min_cell_count, detection.tests)
        row = open_now.get(key) or _recently_ended(
            session,
            area.id,
            finding.kind,
            finding.subject,
            week - timedelta(weeks=thresholds.recent_weeks),
        )
        if row is not None:
            row.ended_week = None
            row.last_week = week
            row.weeks_seen += 1
            row.evidence = evidence
            row.context_ids = sorted(set(row.context_ids) | set(finding.context_ids))
            row.updated_at = now
            session.add(row)
            result.continuing.append(finding)
            continue
        row = Pattern(
            area_id=area.id,
            kind=finding.kind,
            subject=finding.subject,
            facet=finding.facet,
            code=finding.code,
            context_ids=finding.context_ids,
            first_week=week,
            last_week=week,
            evidence=evidence,
            found_at=now,
            updated_at=now,
        )
        session.add(row)
        new_rows.append(row)
        result.new.append(finding)
    for key, row in open_now.items():
        if key not in found:
            row.ended_week = week
            row.updated_at = now
            session.add(row)
            result.ended += 1
    run.new, run.continuing, run.ended = len(result.new), len(result.continuing), result.ended
    session.add(run)
    session.flush()
    if new_rows:
        message = outbox.enqueue(
            session,
            area,
            OutboxPurpose.PATTERN,
            statutory_emails(session, area.id),
            "pattern_found",
            {
                "patterns": [email_item(f, thresholds) for f in result.new],
                "count": len(result.new),
                "link": f"{base_url.rstrip('/')}/staff/register/patterns",
                "label": facet_labels(category_names(session, area.id)),
                "facet_name": facet_name,
            },
            now=now,
        )
        result.message_id = message.id
        for row in new_rows:
            row.message_id = message.id
            session.add(row)
    audit.record(
        session,
        "patterns.run",
        area_id=area.id,
        subject_type="pattern_run",
        subject_id=run.id,
        week=week.isoformat(),
        new=run.new,
        continuing=run.continuing,
        ended=run.ended,
        tests=detection.tests,
        message_id=result.message_id,
    )


def run_patterns(
    db: Database,
    *,
    base_url: str,
    now: datetime | None = None,
    area_slug: str | None = None,
    dry_run: bool = False,
) -> list[AreaRun]:
    """Every area's weekly look (or one area's), oldest area first."""
    now = now or utcnow()
    with db.read() as session:
        query = select(Area.id, Area.slug).order_by(col(Area.id))
        if area_slug:
            query = query.where(Area.slug == area_slug)
        areas = [(a, slug) for a, slug in session.exec(query).all() if a is not None]
    results = []
    for area_id, slug in areas:
        try:
            results.append(run_area(db, area_id, base_url=base_url, now=now, dry_run=dry_run))
        except Exception as exc:  # one area's fault must not stop the others' runs
            # The log names the fault and where, never its message (it could quote data).
            log.error("pattern run failed for area %s: %s", area_id, fault_summary(exc))
            results.append(AreaRun(slug, week_ending(now), failed=True))
    return results

