"""The register's access log: every view and export of the register, who and when.

A route declares what it shows with one dependency, and adds the codes worth keeping (filters, page):

    @router.get("/staff/register")
    def register(staff: RegisterReader, view: Annotated[ViewRecord, Depends(records_view("list_viewed"))]) -> Response:
        view.note(page=page)

The line is written only when the route answers without an error (a refused or missing page is
not a view), in its own short write transaction, so a page's read session never becomes a write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core.db import Database
from app.core.web import DatabaseDep, StaffDep

ACCESS_LOG_PER_PAGE = 100
PREFIX = "register."


def record_view(db: Database, staff: StaffIdentity, what: str, subject_id: object = "", **detail: object) -> None:
    """One access-log line, written in its own transaction."""
    with db.transaction() as session:
        audit.record(
            session, f"{PREFIX}{what}", area_id=staff.area.id, actor_id=staff.user.id,
            subject_type="context" if subject_id else "", subject_id=subject_id, **detail,
        )


@dataclass
class ViewRecord:
    """What the route adds to its access-log line: codes and numbers, never typed words."""

    detail: dict[str, object] = field(default_factory=dict)

    def note(self, **detail: object) -> None:
        self.detail.update(detail)


def records_view(what: str, *, subject: str | None = None, **fixed: object) -> Callable[..., Iterator[ViewRecord]]:
    """A dependency that logs `register.<what>` once the route has answered.

    `subject` names the path parameter that identifies the context viewed; `fixed` is detail that
    every request of the route carries (an export's format).
    """

    def dependency(request: Request, db: DatabaseDep, staff: StaffDep) -> Iterator[ViewRecord]:
        view = ViewRecord(dict(fixed))
        yield view  # an exception from the route is raised here, and nothing is logged
        subject_id = request.path_params.get(subject, "") if subject else ""
        record_view(db, staff, what, subject_id, **view.detail)

    dependency.access_log = what  # type: ignore[attr-defined]
    return dependency


@dataclass(frozen=True)
class AccessEntry:
    event: AuditEvent
    who: str
    email: str


def access_log(session: Session, area_id: int, *, page: int = 1) -> tuple[list[AccessEntry], int]:
    """Register views and exports in this area, newest first, with who looked."""
    where = [col(AuditEvent.area_id) == area_id, col(AuditEvent.action).startswith(PREFIX)]
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
    query = (
        sa_select(AuditEvent, col(User.display_name), col(User.email))
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(*where)
        .order_by(col(AuditEvent.id).desc())
        .limit(ACCESS_LOG_PER_PAGE)
        .offset((max(page, 1) - 1) * ACCESS_LOG_PER_PAGE)
    )
    rows = [AccessEntry(event, name or "", email or "") for event, name, email in session.execute(query).all()]
    return rows, total
