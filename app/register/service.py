"""Contexts themselves: finding, creating and changing one (status, panel flag, assessment notes).

Other register jobs live beside this module: counts.py (per-context counts), listing.py (the list),
profile.py (one context's profile), regrouping.py (merge and split), actions.py (actions and
"You said, we did") and panel.py (the panel agenda and its decisions). The access log is in
app.audit.access. Everything here reads redacted text only, and every query is scoped to one area:
a function that takes an area id never returns a row of another area.
"""

from __future__ import annotations

from collections.abc import Sequence

import h3
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.types import utcnow
from app.register.models import (
    AssessmentField,
    Context,
    ContextKind,
    ContextNoteChange,
    ContextStatus,
    ContextStatusChange,
)


class RegisterError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def get_context(session: Session, area_id: int, context_id: int) -> Context | None:
    context = session.get(Context, context_id)
    return context if context and context.area_id == area_id else None


def kind_for_report(categories: str) -> str:
    return ContextKind.ONLINE if "online" in categories.split(",") else ContextKind.PLACE


def create_context(
    session: Session, staff: StaffIdentity, *, name: str, h3_cell: str | None, place_id: int | None, kind: str,
    neighbourhood: str = "",
) -> Context:
    assert staff.area.id is not None
    context = Context(
        area_id=staff.area.id, name=name[:160], h3_cell=h3_cell, place_id=place_id, kind=kind, neighbourhood=neighbourhood[:80]
    )
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


# --- changing a context -----------------------------------------------------------------------


def change_status(session: Session, staff: StaffIdentity, context: Context, to_status: str, note: str = "") -> None:
    if to_status not in {s.value for s in ContextStatus}:
        raise RegisterError("status_unknown")
    if context.merged_into_id is not None:
        raise RegisterError("context_merged")
    if to_status == context.status:
        return
    set_status(session, staff, context, to_status, note)
    session.commit()


def set_status(
    session: Session, staff: StaffIdentity, context: Context, to_status: str, note: str = "", *,
    note_code: str = "", note_params: dict[str, str] | None = None,
) -> None:
    """The status change with its history row and audit entry, left for the caller to commit.

    `note` is what a person typed; a note the product writes is `note_code` with `note_params`,
    put into the reader's words when shown (app.register.labels.STATUS_NOTES).
    """
    assert context.id is not None
    session.add(
        ContextStatusChange(
            context_id=context.id, from_status=context.status, to_status=to_status, changed_by_id=staff.user.id, note=note[:500],
            note_code=note_code, note_params=note_params or {},
        )
    )
    audit.record(
        session, "context.status_changed", area_id=context.area_id, actor_id=staff.user.id, subject_type="context",
        subject_id=context.id, before={"status": context.status}, after={"status": to_status},
    )
    context.status = to_status
    if to_status == ContextStatus.ON_PANEL_AGENDA and not context.flagged_for_panel:
        context.flagged_for_panel = True
        context.flagged_at = utcnow()
    touch(session, context)


def flag_for_panel(session: Session, staff: StaffIdentity, context: Context, reason: str = "") -> None:
    if context.merged_into_id is not None:
        raise RegisterError("context_merged")
    context.flagged_for_panel = True
    context.flagged_at = utcnow()
    context.panel_reason = reason.strip()[:500]
    audit.record(
        session, "context.flagged_for_panel", area_id=context.area_id, actor_id=staff.user.id, subject_type="context",
        subject_id=context.id, reason_given=bool(context.panel_reason),
    )
    if context.status != ContextStatus.ON_PANEL_AGENDA:
        set_status(session, staff, context, ContextStatus.ON_PANEL_AGENDA, note_code="flagged_for_panel")
    touch(session, context)
    session.commit()


def update_assessment(session: Session, staff: StaffIdentity, context: Context, values: dict[str, str], neighbourhood: str | None = None) -> list[str]:
    """Edits the neighbourhood assessment notes, keeping every earlier text in the note history."""
    assert context.id is not None
    changed: list[str] = []
    for name in AssessmentField:
        if name.value not in values:
            continue
        new = values[name.value].strip()[:5000]
        old = getattr(context, name.value)
        if new == old:
            continue
        session.add(ContextNoteChange(context_id=context.id, field=name.value, before=old, after=new, changed_by_id=staff.user.id))
        setattr(context, name.value, new)
        changed.append(name.value)
    if neighbourhood is not None and neighbourhood.strip()[:80] != context.neighbourhood:
        audit.record(
            session, "context.neighbourhood_changed", area_id=context.area_id, actor_id=staff.user.id, subject_type="context",
            subject_id=context.id, before={"neighbourhood": context.neighbourhood}, after={"neighbourhood": neighbourhood.strip()[:80]},
        )
        context.neighbourhood = neighbourhood.strip()[:80]
        changed.append("neighbourhood")
    if changed:
        # The note text stays in context_note_change; the audit log keeps which fields, never the words.
        audit.record(session, "context.assessment_edited", area_id=context.area_id, actor_id=staff.user.id, subject_type="context", subject_id=context.id, fields=changed)
        touch(session, context)
    session.commit()
    return changed
