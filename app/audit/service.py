"""Writing to and reading the audit log. Callers pass ids and codes, never report text."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

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
