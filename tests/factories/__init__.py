"""Test data, made fresh for each test through the real services where it matters."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.accounts.service import create_user
from app.areas.models import Area, Place
from app.reports import service as reports
from app.reports.models import Report
from app.reports.schemas import ReportCreate

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_area(session: Session, slug: str = "brackenford", **overrides: Any) -> Area:
    values: dict[str, Any] = {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "min_lat": 52.55, "min_lng": -2.05, "max_lat": 52.61, "max_lng": -1.95,
        "safeguarding_emails": f"safeguarding@{slug}.example",
        "help_contacts": [{"name": f"{slug.title()} Youth Hub", "phone": "01632 960123", "description": "Youth workers."}],
    } | overrides
    area = Area(**values)
    session.add(area)
    session.commit()
    return area


def make_place(session: Session, area: Area, name: str = "Victoria Park", kind: str = "park", lat: float = 52.576, lng: float = -1.986) -> Place:
    assert area.id is not None
    place = Place(area_id=area.id, name=name, kind=kind, lat=lat, lng=lng)
    session.add(place)
    session.commit()
    return place


def make_staff(session: Session, area: Area, *roles: str, email: str | None = None, password: str = PASSWORD) -> User:
    user = create_user(
        session,
        email=email or f"staff{next(_counter)}@{area.slug}.example",
        display_name="Test Staff",
        password=password,
        area=area,
        roles=list(roles),
        organisation="Test Org",
    )
    session.commit()
    return user


def report_data(**overrides: Any) -> ReportCreate:
    values: dict[str, Any] = {
        "kind": "unsafe",
        "location_text": "the alley behind the shops",
        "description": "Older lads hang around here after dark and shout at people.",
        "time_bands": ["evening"],
        "categories": ["followed_harassed"],
        "submission_token": reports.new_submission_token(),
    } | overrides
    return ReportCreate.model_validate(values)


def make_report(session: Session, area: Area, **overrides: Any) -> Report:
    return reports.submit_report(session, area, report_data(**overrides), language="en").report
