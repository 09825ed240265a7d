"""The access log dependency: a register view is logged once the page has answered, never for an error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.service import StaffIdentity
from app.audit.access import ViewRecord, access_log, records_view
from app.audit.models import AuditEvent
from app.core import web
from app.core.db import Database
from tests.factories import make_area, make_staff


def test_a_view_is_logged_with_its_subject_and_detail_only_when_the_route_answers(session: Session, db: Database) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    identity = StaffIdentity(user=user, area=area, roles=frozenset({"statutory"}), session_id=0)
    app = FastAPI()
    app.dependency_overrides[web.require_staff] = lambda: identity
    app.dependency_overrides[web.get_db] = lambda: db

    @app.get("/contexts/{context_id}")
    def page(context_id: int, view: Annotated[ViewRecord, Depends(records_view("context_viewed", subject="context_id"))]) -> dict[str, int]:
        if context_id == 404:
            raise HTTPException(status_code=404)
        view.note(entries_page=2)
        return {"ok": 1}

    with TestClient(app) as client:
        assert client.get("/contexts/7").status_code == 200
        assert client.get("/contexts/404").status_code == 404
    events = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("register."))).all()  # type: ignore[attr-defined]
    assert [(e.action, e.subject_type, e.subject_id, e.detail) for e in events] == [
        ("register.context_viewed", "context", "7", {"entries_page": 2})
    ]
    assert area.id is not None
    entries, total = access_log(session, area.id)
    assert total == 1 and entries[0].email == user.email
