"""The context register: contexts, their entries and actions, and "You said, we did".

Everything here reads redacted text only. Every query is scoped to one area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import h3
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.db import Database
from app.core.types import utcnow
from app.register.models import (
    Action,
    ActionStatus,
    Context,
    ContextKind,
    ContextStatus,
    ContextStatusChange,
    ResponseType,
)
from app.reports.models import Report, ReportKind, ReportStatus


class RegisterError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ContextRow:
    context: Context
    safe: int
    unsafe: int
    structural: int
    last_entry_at: datetime | None

    @property
    def total(self) -> int:
        return self.safe + self.unsafe + self.structural


@dataclass(frozen=True)
class RegisterFilters:
    status: str | None = None
    kind: str | None = None
    search: str = ""


@dataclass
class ContextProfile:
    context: Context
    entries: Sequence[Report]
    actions: Sequence[Action]
    history: Sequence[ContextStatusChange]
    counts: dict[str, int] = field(default_factory=dict)


def get_context(session: Session, area_id: int, context_id: int) -> Context | None:
    context = session.get(Context, context_id)
    return context if context and context.area_id == area_id else None


def kind_for_report(categories: str) -> str:
    return ContextKind.ONLINE if "online" in categories.split(",") else ContextKind.PLACE


def create_context(
    session: Session, staff: StaffIdentity, *, name: str, h3_cell: str | None, place_id: int | None, kind: str
) -> Context:
    assert staff.area.id is not None
    context = Context(area_id=staff.area.id, name=name[:160], h3_cell=h3_cell, place_id=place_id, kind=kind)
    session.add(context)
    session.flush()
    assert context.id is not None
    session.add(ContextStatusChange(context_id=context.id, to_status=ContextStatus.NEW, changed_by_id=staff.user.id))
    audit.record(session, "context.created", area_id=staff.area.id, actor_id=staff.user.id, subject_type="context", subject_id=context.id)
    return context


def touch(session: Session, context: Context) -> None:
    context.updated_at = utcnow()
    session.add(context)


def nearby_contexts(session: Session, area_id: int, h3_cell: str | None, *, limit: int = 8) -> Sequence[Context]:
    nearby: list[Context] = []
    if h3_cell:
        cells = list(h3.grid_disk(h3_cell, 1))
        query = select(Context).where(Context.area_id == area_id, col(Context.h3_cell).in_(cells))
        nearby = list(session.exec(query.order_by(col(Context.updated_at).desc()).limit(limit)).all())
    if len(nearby) < limit:
        seen = [c.id for c in nearby]
        rest = select(Context).where(Context.area_id == area_id, col(Context.id).not_in(seen) if seen else True)
        nearby += session.exec(rest.order_by(col(Context.updated_at).desc()).limit(limit - len(nearby))).all()
    return nearby


def _kind_count(kind: str):  # type: ignore[no-untyped-def]
    return func.sum(case((col(Report.kind) == kind, 1), else_=0))


def list_contexts(session: Session, area_id: int, filters: RegisterFilters, *, limit: int = 50, offset: int = 0) -> tuple[list[ContextRow], int]:
    counts = (
        sa_select(
            col(Report.context_id).label("context_id"),
            _kind_count(ReportKind.SAFE).label("safe"),
            _kind_count(ReportKind.UNSAFE).label("unsafe"),
            _kind_count(ReportKind.STRUCTURAL).label("structural"),
            func.max(Report.created_at).label("last_entry_at"),
        )
        .where(col(Report.area_id) == area_id, col(Report.status) == ReportStatus.PUBLISHED)
        .group_by(col(Report.context_id))
        .subquery()
    )
    query = (
        sa_select(Context, counts.c.safe, counts.c.unsafe, counts.c.structural, counts.c.last_entry_at)
        .join(counts, counts.c.context_id == col(Context.id), isouter=True)
        .where(col(Context.area_id) == area_id)
    )
    if filters.status:
        query = query.where(col(Context.status) == filters.status)
    if filters.kind:
        query = query.where(col(Context.kind) == filters.kind)
    if filters.search.strip():
        query = query.where(col(Context.name).ilike(f"%{filters.search.strip()}%"))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(col(Context.updated_at).desc(), col(Context.id).desc()).limit(limit).offset(offset)
    rows = [
        ContextRow(context, int(safe or 0), int(unsafe or 0), int(structural or 0), _aware(last))
        for context, safe, unsafe, structural, last in session.execute(query).all()
    ]
    return rows, total


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def context_profile(session: Session, area_id: int, context_id: int) -> ContextProfile | None:
    context = get_context(session, area_id, context_id)
    if context is None:
        return None
    entries = session.exec(
        select(Report)
        .where(Report.context_id == context_id, Report.status == ReportStatus.PUBLISHED)
        .order_by(col(Report.created_at).desc())
        .limit(200)
    ).all()
    actions = session.exec(select(Action).where(Action.context_id == context_id).order_by(col(Action.created_at).desc())).all()
    history = session.exec(
        select(ContextStatusChange)
        .where(ContextStatusChange.context_id == context_id)
        .order_by(col(ContextStatusChange.created_at).desc(), col(ContextStatusChange.id).desc())
    ).all()
    counts = {kind.value: 0 for kind in ReportKind}
    for entry in entries:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return ContextProfile(context=context, entries=entries, actions=actions, history=history, counts=counts)


def record_view(db: Database, staff: StaffIdentity, what: str, subject_id: object = "", **detail: object) -> None:
    """The access log: every register view and export, who and when.

    Written in its own short write transaction so the page's read session never turns into a write.
    """
    with db.transaction() as session:
        audit.record(
            session, f"register.{what}", area_id=staff.area.id, actor_id=staff.user.id,
            subject_type="context" if subject_id else "", subject_id=subject_id, **detail,
        )


def change_status(session: Session, staff: StaffIdentity, context: Context, to_status: str, note: str = "") -> None:
    if to_status not in {s.value for s in ContextStatus}:
        raise RegisterError("status_unknown")
    if to_status == context.status:
        return
    assert context.id is not None
    session.add(
        ContextStatusChange(
            context_id=context.id, from_status=context.status, to_status=to_status, changed_by_id=staff.user.id, note=note[:500]
        )
    )
    audit.record(
        session, "context.status_changed", area_id=context.area_id, actor_id=staff.user.id, subject_type="context",
        subject_id=context.id, before={"status": context.status}, after={"status": to_status},
    )
    context.status = to_status
    context.flagged_for_panel = to_status == ContextStatus.ON_PANEL_AGENDA or context.flagged_for_panel
    touch(session, context)
    session.commit()


def flag_for_panel(session: Session, staff: StaffIdentity, context: Context) -> None:
    context.flagged_for_panel = True
    audit.record(session, "context.flagged_for_panel", area_id=context.area_id, actor_id=staff.user.id, subject_type="context", subject_id=context.id)
    change_status(session, staff, context, ContextStatus.ON_PANEL_AGENDA, note="Flagged for the next panel")
    session.commit()


@dataclass(frozen=True)
class ActionInput:
    title: str
    owner_organisation: str
    response_type: str
    status: str
    due_date: date | None
    detail: str = ""
    public_summary: str = ""


def record_action(session: Session, staff: StaffIdentity, context: Context, data: ActionInput) -> Action:
    errors = validate_action(data)
    if errors:
        raise RegisterError(errors[0])
    assert context.id is not None
    action = Action(
        area_id=context.area_id,
        context_id=context.id,
        title=data.title.strip(),
        owner_organisation=data.owner_organisation.strip(),
        response_type=data.response_type,
        status=data.status,
        due_date=data.due_date,
        detail=data.detail.strip(),
        public_summary=data.public_summary.strip(),
        created_by_id=staff.user.id,
    )
    session.add(action)
    session.flush()
    audit.record(session, "action.recorded", area_id=context.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id, context_id=context.id, response_type=data.response_type)
    touch(session, context)
    session.commit()
    return action


def validate_action(data: ActionInput) -> list[str]:
    errors = []
    if not data.title.strip():
        errors.append("title_missing")
    if not data.owner_organisation.strip():
        errors.append("owner_missing")
    if data.response_type not in {r.value for r in ResponseType}:
        errors.append("response_type_unknown")
    if data.status not in {s.value for s in ActionStatus}:
        errors.append("status_unknown")
    return errors


def get_action(session: Session, area_id: int, action_id: int) -> Action | None:
    action = session.get(Action, action_id)
    return action if action and action.area_id == area_id else None


def publish_action(session: Session, staff: StaffIdentity, action: Action, public_summary: str) -> None:
    """Put the plain-words version on "You said, we did" (and on linked receipts' /track)."""
    summary = public_summary.strip()
    if not summary:
        raise RegisterError("summary_missing")
    before = {"published": action.published_at is not None}
    action.public_summary = summary
    action.published_at = utcnow()
    session.add(action)
    audit.record(session, "action.published", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id, before=before, after={"published": True})
    session.commit()


def unpublish_action(session: Session, staff: StaffIdentity, action: Action) -> None:
    action.published_at = None
    session.add(action)
    audit.record(session, "action.unpublished", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id)
    session.commit()


@dataclass(frozen=True)
class PublicAction:
    context_name: str
    summary: str
    status: str
    response_type: str
    published_at: datetime


def you_said_we_did(session: Session, area_id: int, *, limit: int = 50) -> list[PublicAction]:
    query = (
        select(Action, Context.name)
        .join(Context, col(Context.id) == col(Action.context_id))
        .where(Action.area_id == area_id, col(Action.published_at).is_not(None))
        .order_by(col(Action.published_at).desc())
        .limit(limit)
    )
    return [
        PublicAction(name, action.public_summary, action.status, action.response_type, action.published_at)  # type: ignore[arg-type]
        for action, name in session.exec(query).all()
    ]
