"""Helpers for tests that call the service functions directly (no HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.audit.models import AuditEvent
from app.core.db import Database
from tests.factories import make_staff


@pytest.fixture
def writer(db: Database) -> Iterator[Session]:
    """The app's own write session (as a service gets it in a request), on each database.

    The `session` fixture ends its transaction before each query so it sees what the app committed;
    a service that mixes Core statements with ORM queries in one transaction needs the plain one.
    """
    with db.writer() as session:
        yield session


def identity(session: Session, area: Area, *roles: str) -> StaffIdentity:
    """A signed-in staff member of `area` with exactly these roles (as the role dependency builds it)."""
    user = make_staff(session, area, *roles)
    return StaffIdentity(user=user, area=area, roles=frozenset(roles), session_id=0)


def audit_actions(session: Session, *, subject_id: Any = None) -> list[str]:
    """The audit log's verbs, oldest first (only those about `subject_id` when given)."""
    query = select(AuditEvent).order_by(AuditEvent.id)  # type: ignore[arg-type]
    rows = session.exec(query).all()
    return [row.action for row in rows if subject_id is None or row.subject_id == str(subject_id)]


def audit_rows(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all())  # type: ignore[arg-type]
