"""Merging two contexts into one and splitting entries out into a new context.

Both move entries between contexts, so both move their counts (app.register.counts) in the same
transaction, and both leave a history row and an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.register import counts
from app.register.models import (
    Action,
    AssessmentField,
    Context,
    ContextKind,
    ContextNoteChange,
    ContextRegrouping,
    ContextStatus,
    RegroupingKind,
)
from app.register.outcomes.models import OutcomeGoal
from app.register.service import RegisterError, create_context, set_status, touch
from app.reports.models import Report, ReportStatus


def merge_contexts(session: Session, staff: StaffIdentity, source: Context, target: Context, note: str = "") -> ContextRegrouping:
    """Moves every entry, action and outcome goal of `source` into `target`; `source` stays as a closed record."""
    if source.area_id != target.area_id or source.area_id != staff.area.id:
        raise RegisterError("not_found")
    if source.id == target.id:
        raise RegisterError("merge_same")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise RegisterError("context_merged")
    assert source.id is not None and target.id is not None
    moved = _move_reports(session, source, target.id, None)
    counts.context_merged(session, source.area_id, source.id, target.id)
    session.execute(update(Report).where(col(Report.reported_context_id) == source.id).values(reported_context_id=target.id))
    session.execute(update(Action).where(col(Action.context_id) == source.id, col(Action.area_id) == source.area_id).values(context_id=target.id))
    # Goals go with the actions meant to reach them; the closed record keeps none to edit.
    session.execute(update(OutcomeGoal).where(col(OutcomeGoal.context_id) == source.id, col(OutcomeGoal.area_id) == source.area_id).values(context_id=target.id))
    for name in AssessmentField:
        extra = getattr(source, name.value).strip()
        if extra:
            old = getattr(target, name.value)
            new = f"{old}\n\n{source.name}: {extra}".strip()
            session.add(ContextNoteChange(context_id=target.id, field=name.value, before=old, after=new, changed_by_id=staff.user.id))
            setattr(target, name.value, new)
    if source.flagged_for_panel and not target.flagged_for_panel:
        target.flagged_for_panel, target.flagged_at, target.panel_reason = True, source.flagged_at, source.panel_reason
    if source.status != ContextStatus.CLOSED:
        set_status(session, staff, source, ContextStatus.CLOSED, note_code="merged_into", note_params={"name": target.name})
    source.merged_into_id = target.id
    source.flagged_for_panel = False
    return _record_regrouping(session, staff, RegroupingKind.MERGE, "context.merged", source, target, moved, note)


def split_context(
    session: Session, staff: StaffIdentity, source: Context, entry_ids: Sequence[int], *, name: str, kind: str, note: str = ""
) -> Context:
    """Moves the chosen published entries of `source` into a new context of their own."""
    if source.area_id != staff.area.id:
        raise RegisterError("not_found")
    if source.merged_into_id is not None:
        raise RegisterError("context_merged")
    if not name.strip():
        raise RegisterError("name_missing")
    if kind not in {k.value for k in ContextKind}:
        raise RegisterError("kind_unknown")
    assert source.id is not None
    wanted = set(entry_ids)
    found = session.exec(
        select(Report).where(
            col(Report.id).in_(wanted), Report.context_id == source.id, Report.area_id == source.area_id, Report.status == ReportStatus.PUBLISHED
        )
    ).all()
    if not found or len(found) != len(wanted):
        raise RegisterError("entries_missing")
    new = create_context(
        session, staff, name=name.strip(), h3_cell=source.h3_cell if kind != ContextKind.ONLINE else None,
        place_id=source.place_id if kind != ContextKind.ONLINE else None, kind=kind, neighbourhood=source.neighbourhood,
    )
    assert new.id is not None
    moved = _move_reports(session, source, new.id, [r.id for r in found if r.id is not None])
    counts.entries_moved(session, source.area_id, source.id, new.id, found)
    _record_regrouping(session, staff, RegroupingKind.SPLIT, "context.split", source, new, moved, note)
    return new


def _record_regrouping(
    session: Session, staff: StaffIdentity, kind: RegroupingKind, action: str, source: Context, target: Context, moved: int, note: str
) -> ContextRegrouping:
    """The history row and audit entry of a merge or split, then both contexts touched and committed."""
    assert source.id is not None and target.id is not None
    regrouping = ContextRegrouping(
        area_id=source.area_id, kind=kind, source_context_id=source.id, target_context_id=target.id,
        entries=moved, note=note.strip()[:500], changed_by_id=staff.user.id,
    )
    session.add(regrouping)
    session.flush()
    audit.record(
        session, action, area_id=source.area_id, actor_id=staff.user.id, subject_type="context", subject_id=source.id,
        into=target.id, entries=moved, regrouping_id=regrouping.id,
    )
    touch(session, source)
    touch(session, target)
    session.commit()
    return regrouping


def _move_reports(session: Session, source: Context, target_id: int, only: list[int] | None) -> int:
    query = update(Report).where(col(Report.context_id) == source.id, col(Report.area_id) == source.area_id)
    if only is not None:
        query = query.where(col(Report.id).in_(only))
    result = session.execute(query.values(context_id=target_id).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
