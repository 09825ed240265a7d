"""Writing to and reading the audit log. Callers pass ids and codes, never report text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    area_id: int | None,
    actor_id: int | None = None,
    subject_type: str = "",
    subject_id: object = "",
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        area_id=area_id,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=detail,
    )
    session.add(event)
    return event


def events_for_area(session: Session, area_id: int, *, limit: int = 200, action_prefix: str = "") -> Sequence[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.area_id == area_id)
    if action_prefix:
        query = query.where(col(AuditEvent.action).startswith(action_prefix))
    return session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all()
