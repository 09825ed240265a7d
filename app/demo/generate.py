"""Loads the fictional town: one area, its gazetteer, staff, contexts, reports and actions.

From shape.LARGE_FROM reports on, neighbouring fictional areas and thousands of invented contexts
join it, with a long tail of quiet ones (see app/demo/shape.py). Fast enough for `--reports 1000000`
(bulk inserts in batches, COPY on PostgreSQL; triage runs once per distinct text). The register's
counts are built at the end and the database's statistics refreshed (ANALYZE), as an operator would
after a bulk load: without them the planner guesses row counts and picks slow plans.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
from rich.progress import Progress
from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from app.accounts.service import create_user
from app.accounts.totp import new_secret as new_totp_secret
from app.areas.models import Area, Place
from app.audit import service as audit
from app.core.db import Database
from app.core.types import utcnow
from app.demo import shape, town
from app.moderation.models import SafeguardingAlert
from app.moderation.triage import Span, apply_redactions, triage
from app.register import counts
from app.register.models import Action, ActionStatus, Context, ContextStatus, ContextStatusChange
from app.reports.models import Report, ReporterRole, ReportStatus
from app.reports.service import SOURCE_FOR_ROLE, new_receipt_code
from app.reports.taxonomy import AGE_BANDS, CATEGORIES, DAYS

BATCH = 2000
# Evenings are when most unsafe reports are about; the spread makes the time-of-day pattern real.
TIME_WEIGHTS = {"morning": 2, "afternoon": 4, "evening": 6, "night": 3, "all_the_time": 1}


@dataclass
class DemoResult:
    area_id: int
    created_staff: list[tuple[str, str, str]] = field(default_factory=list)
    # Each demo account's TOTP secret (already set up), so a newcomer can add it to an authenticator app.
    totp_secrets: dict[str, str] = field(default_factory=dict)
    reports: int = 0


def load_demo(db: Database, *, reports: int = 400, seed: int = 7, echo: Callable[[str], Any] = print) -> DemoResult:
    rng = random.Random(seed)
    with db.transaction() as session:
        existing = session.exec(select(Area).where(Area.slug == town.AREA["slug"])).first()
        if existing is not None:
            assert existing.id is not None
            echo(f"Demo area {existing.name} is already loaded; nothing to do.")
            return DemoResult(area_id=existing.id)
        area = Area(**town.AREA)  # type: ignore[arg-type]
        session.add(area)
        session.flush()
        assert area.id is not None
        places = [Place(area_id=area.id, name=n, kind=k, lat=lat, lng=lng) for n, k, lat, lng in town.PLACES]
        session.add_all(places)
        created = []
        staff_users = []
        totp_secrets: dict[str, str] = {}
        for email, name, organisation, roles in town.STAFF:
            password = secrets.token_urlsafe(12)
            staff_users.append(create_user(session, email=email, display_name=name, password=password, area=area, roles=roles, organisation=organisation))
            created.append((email, ", ".join(roles), password))
            staff_users[-1].totp_secret = totp_secrets[email] = new_totp_secret()
            staff_users[-1].totp_confirmed_at = utcnow()
        session.flush()
        contexts = _contexts(session, area, places, rng, staff_users[1].id)
        result = DemoResult(area_id=area.id, created_staff=created, totp_secrets=totp_secrets)
        # The demo workshop's entries are reports too, and count towards --reports.
        from app.workshops.demo import ENTRIES as WORKSHOP_ENTRIES

        with_workshop = reports >= len(WORKSHOP_ENTRIES)
        wanted = reports - len(WORKSHOP_ENTRIES) if with_workshop else reports
        started = time.perf_counter()
        shares = _area_shares(shape.area_count(wanted), wanted)
        choose = _tail_chooser(session, area, contexts, rng, shares[0]) if len(shares) > 1 else None
        triage_cache: dict[str, tuple[bool, str, list[Span]]] = {}
        result.reports = _reports(session, area, places, contexts, rng, shares[0], choose=choose, triage_cache=triage_cache)
        _actions(session, area, contexts, rng, staff_users[1].id)
        _alerts(session, area)
        for index, share in enumerate(shares[1:]):
            result.reports += _extra_area(session, index, rng, share, triage_cache)
        counts.rebuild(session)
        audit.record(session, "demo.loaded", area_id=area.id, reports=result.reports)
    if with_workshop:
        from app.workshops.demo import load_demo_workshop

        with db.session(write=True) as session:
            load_demo_workshop(session, result.area_id)
        result.reports += len(WORKSHOP_ENTRIES)
    analyse(db)
    areas = f" and {len(shares) - 1} neighbouring areas" if len(shares) > 1 else ""
    echo(f"Loaded the fictional town of {town.AREA['name']}{areas} with {result.reports} reports in {time.perf_counter() - started:.0f} s.")
    return result


def analyse(db: Database) -> None:
    """Refresh the planner's statistics after a bulk load (ANALYZE on both databases)."""
    if db.is_sqlite:
        with db.transaction() as session:
            session.execute(text("ANALYZE"))
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def _area_shares(areas: int, reports: int) -> list[int]:
    """How many reports each area gets: Brackenford (the first) a double share, the others alike."""
    if areas == 1:
        return [reports]
    unit = reports // (areas + 1)
    return [reports - unit * (areas - 1)] + [unit] * (areas - 1)


def _tail_chooser(session: Session, area: Area, named: list[Context], rng: random.Random, area_reports: int) -> Callable[[random.Random], int]:
    """Adds invented contexts to an area and returns a picker: the named ones busiest, then a long tail."""
    assert area.id is not None
    seeds = shape.context_seeds(rng, area.model_dump(), shape.context_count(area_reports))
    rows = [
        {"area_id": area.id, "name": s.name, "kind": s.kind, "h3_cell": s.h3_cell, "neighbourhood": s.neighbourhood, "status": s.status,
         "flagged_for_panel": s.status == ContextStatus.ON_PANEL_AGENDA, "strengths": "", "guardianship": "", "environment": "",
         "panel_reason": "", "created_at": utcnow(), "updated_at": utcnow(),
         "flagged_at": utcnow() - timedelta(days=20) if s.status == ContextStatus.ON_PANEL_AGENDA else None}
        for s in seeds
    ]
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        ids += session.execute(insert(Context).returning(col(Context.id), sort_by_parameter_order=True), rows[start : start + BATCH]).scalars().all()
    session.execute(insert(ContextStatusChange), [{"context_id": i, "to_status": ContextStatus.NEW, "created_at": utcnow()} for i in ids])
    order = [c.id for c in named if c.id is not None] + ids
    cumulative = shape.zipf_weights(len(order))
    return lambda r: r.choices(order, cum_weights=cumulative)[0]


def _extra_area(session: Session, index: int, rng: random.Random, count: int, triage_cache: dict[str, tuple[bool, str, list[Span]]]) -> int:
    """A neighbouring fictional area: its gazetteer (Brackenford's, moved), invented contexts and reports."""
    area = Area(**shape.area_values(index))
    session.add(area)
    session.flush()
    assert area.id is not None
    offset = area.min_lat - town.AREA["min_lat"]  # type: ignore[operator]
    places = [Place(area_id=area.id, name=n, kind=k, lat=lat + offset, lng=lng) for n, k, lat, lng in town.PLACES]
    session.add_all(places)
    session.flush()
    choose = _tail_chooser(session, area, [], rng, count)
    return _reports(session, area, places, [], rng, count, choose=choose, triage_cache=triage_cache, urgent=False)


def _contexts(session: Session, area: Area, places: list[Place], rng: random.Random, staff_id: int | None) -> list[Context]:
    by_name = {p.name: p for p in places}
    statuses = list(ContextStatus)
    contexts: list[Context] = []
    now = utcnow()
    for name, kind in town.CONTEXT_NAMES:
        place = by_name.get(name) or by_name.get(name.removeprefix("Area around "))
        cell = h3.latlng_to_cell(place.lat, place.lng, area.h3_resolution) if place else None
        status_index = rng.randrange(len(statuses))
        context = Context(
            area_id=area.id, name=name, kind=kind, place_id=place.id if place else None, h3_cell=cell,  # type: ignore[arg-type]
            status=statuses[status_index], flagged_for_panel=statuses[status_index] == ContextStatus.ON_PANEL_AGENDA,
            flagged_at=now - timedelta(days=30) if statuses[status_index] == ContextStatus.ON_PANEL_AGENDA else None,
            neighbourhood=town.NEIGHBOURHOODS.get(name, ""),
            strengths="Young people name trusted adults nearby." if rng.random() < 0.5 else "",
            guardianship="Shop staff and bus drivers look out for young people." if rng.random() < 0.5 else "",
            environment="Poor lighting after dark." if rng.random() < 0.5 else "",
        )
        session.add(context)
        session.flush()
        assert context.id is not None
        for step, status in enumerate(statuses[: status_index + 1]):
            session.add(
                ContextStatusChange(
                    context_id=context.id, from_status=statuses[step - 1] if step else None, to_status=status,
                    changed_by_id=staff_id, created_at=now - timedelta(days=30 * (status_index - step + 1)),
                )
            )
        contexts.append(context)
    return contexts


def _reports(
    session: Session, area: Area, places: list[Place], contexts: list[Context], rng: random.Random, count: int, *,
    choose: Callable[[random.Random], int] | None = None, triage_cache: dict[str, tuple[bool, str, list[Span]]] | None = None,
    urgent: bool = True,
) -> int:
    """Invents `count` reports; each goes to the context `choose` picks, or to its place's context."""
    now = utcnow()
    context_by_place = {c.place_id: c for c in contexts if c.place_id}
    schools = [p.name for p in places if p.kind == "school"]
    others = [p.name for p in places if p.kind != "school"]
    triage_cache = {} if triage_cache is None else triage_cache

    def triaged(text: str) -> tuple[bool, str, list[Span]]:
        if text not in triage_cache:
            result = triage(text, school_names=schools, place_names=others)
            triage_cache[text] = (result.urgent, ",".join(result.reasons), list(result.pii))
        return triage_cache[text]

    rows: list[dict[str, Any]] = []
    written = 0
    roles = list(ReporterRole)
    urgent_left = min(len(town.URGENT_TEXTS), max(count // 100, 2)) if urgent else 0
    with Progress(transient=True) as progress:
        task = progress.add_task("Inventing reports", total=count)
        for index in range(count):
            kind = rng.choices(["unsafe", "safe", "structural"], weights=[5, 3, 2])[0]
            place = rng.choice(places)
            is_urgent_demo = index >= count - urgent_left
            # Most entries are old and moderated; the queue holds the last few days, as a real one would.
            age_days = rng.uniform(0.05, 0.9) if is_urgent_demo else rng.random() ** 1.5 * 365
            created = now - timedelta(days=age_days)
            description = rng.choice(town.URGENT_TEXTS) if is_urgent_demo else rng.choice(town.TEXTS[kind])
            if not is_urgent_demo and rng.random() < 0.08:
                description += rng.choice(town.PERSONAL_EXTRAS)
            helps = rng.choice(town.HELPS[kind])
            urgent, reasons, spans = triaged(description)
            status = _status(rng, age_days, is_urgent_demo)
            role = rng.choice(roles) if rng.random() < 0.8 else None
            where = rng.random()
            lat = lng = None
            if 0.7 <= where < 0.9:
                lat = place.lat + rng.uniform(-0.002, 0.002)
                lng = place.lng + rng.uniform(-0.003, 0.003)
            cell = h3.latlng_to_cell(lat if lat is not None else place.lat, lng if lng is not None else place.lng, area.h3_resolution)
            context_id: int | None
            if choose is not None:
                context_id = choose(rng)
            else:
                context_id = ((context_by_place.get(place.id) if place.id is not None else None) or rng.choice(contexts)).id
            published = status == ReportStatus.PUBLISHED
            rows.append(
                {
                    "area_id": area.id,
                    "receipt_code": new_receipt_code(),  # never from the seeded generator: codes differ per machine
                    "submission_token": rng.getrandbits(128).to_bytes(16, "big").hex(),
                    "kind": kind,
                    "status": status,
                    "source": SOURCE_FOR_ROLE.get(role, "unknown") if role else "unknown",  # type: ignore[arg-type]
                    "language": "cy" if rng.random() < 0.05 else "en",
                    "place_id": place.id if where < 0.7 else None,
                    "location_text": "" if where < 0.9 else f"near {place.name}",
                    "lat": lat,
                    "lng": lng,
                    "h3_cell": cell,
                    "time_bands": ",".join(sorted(set(rng.choices(list(TIME_WEIGHTS), weights=list(TIME_WEIGHTS.values()), k=rng.randint(1, 2))))),
                    "days": ",".join(rng.sample(list(DAYS), k=rng.randint(0, 2))),
                    "categories": ",".join(rng.sample(list(CATEGORIES[kind]), k=rng.randint(1, 3))),
                    "feeling": (rng.choice([1, 2, 2, 3]) if kind == "unsafe" else rng.choice([3, 4, 5, 5])) if rng.random() < 0.8 else None,
                    "description": description,
                    "what_would_help": helps or None,
                    "public_description": apply_redactions(description, spans) if published else None,
                    "public_what_would_help": (helps or None) if published else None,
                    "age_band": rng.choice(list(AGE_BANDS)) if rng.random() < 0.6 else None,
                    "reporter_role": role,
                    "group_name": None,
                    "urgent": urgent,
                    "urgent_reasons": reasons,
                    "suggested_redactions": [{"field": "description", "kind": s.kind, "start": s.start, "end": s.end} for s in spans],
                    "context_id": context_id if published else None,
                    "show_on_map": published and kind != "structural" and rng.random() < 0.8,
                    "rejection_reason": "duplicate" if status == ReportStatus.REJECTED else None,
                    "version": 1 if status == ReportStatus.PENDING else 2,
                    "created_at": created,
                    "moderated_at": None if status == ReportStatus.PENDING else created + timedelta(hours=rng.randint(1, 72)),
                }
            )
            if len(rows) >= BATCH:
                written += _flush(session, rows)
                progress.update(task, advance=BATCH)
        written += _flush(session, rows)
        progress.update(task, completed=count)
    return written


def _status(rng: random.Random, age_days: float, urgent: bool) -> str:
    if urgent or age_days < 4:
        return ReportStatus.PENDING
    return ReportStatus.PUBLISHED if rng.random() < 0.9 else ReportStatus.REJECTED


def _flush(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        _copy_reports(session, rows)
    else:
        session.execute(insert(Report), rows)
    written = len(rows)
    rows.clear()
    return written


def _copy_reports(session: Session, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL, in the session's transaction: several times faster than INSERT for a big load.

    COPY fills in only what it is given, so the columns whose defaults live in the models (not the
    database) are given here too.
    """
    table = Report.__table__  # type: ignore[attr-defined]
    defaults = {
        column.name: column.default.arg(None) if column.default.is_callable else column.default.arg
        for column in table.columns
        if column.name not in rows[0] and column.default is not None and not column.primary_key
    }
    names = list(rows[0]) + list(defaults)
    fixed = list(defaults.values())

    def value(item: Any) -> Any:
        if isinstance(item, list | dict):
            return json.dumps(item)
        if isinstance(item, datetime):
            return item.astimezone(UTC).replace(tzinfo=None)
        return item

    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY report ({', '.join(names)}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([value(v) for v in row.values()] + [value(v) for v in fixed])


def _alerts(session: Session, area: Area) -> None:
    """Urgent entries waiting in the queue have an open safeguarding alert, as they would for real."""
    query = select(Report.id).where(Report.area_id == area.id, col(Report.urgent).is_(True), Report.status == ReportStatus.PENDING)
    for report_id in session.exec(query).all():
        session.add(SafeguardingAlert(area_id=area.id, report_id=report_id))  # type: ignore[arg-type]


def _actions(session: Session, area: Area, contexts: list[Context], rng: random.Random, staff_id: int | None) -> None:
    now = utcnow()
    for title, owner, response_type, summary in town.ACTIONS:
        context = rng.choice(contexts)
        done = bool(summary)
        session.add(
            Action(
                area_id=area.id, context_id=context.id, title=title, owner_organisation=owner,  # type: ignore[arg-type]
                response_type=response_type, status=ActionStatus.DONE if done else ActionStatus.IN_PROGRESS,
                due_date=(now + timedelta(days=rng.randint(14, 90))).date(), public_summary=summary,
                published_at=now - timedelta(days=rng.randint(1, 60)) if done else None, created_by_id=staff_id,
                created_at=now - timedelta(days=rng.randint(60, 120)),
            )
        )


