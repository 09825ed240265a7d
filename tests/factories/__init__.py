"""Test data, made fresh for each test through the real services where it matters."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from app.accounts.models import AreaOidcConfig, OidcDomain, User
from app.accounts.service import create_user
from app.areas.models import Area, Place
from app.core.types import utcnow
from app.reports import service as reports
from app.reports.models import Report
from app.reports.schemas import ReportCreate

PASSWORD = "correct horse battery staple"
# Every factory-made staff member has this TOTP secret, already confirmed; tests.support.sign_in
# computes the current code from it. Pass totp_secret=None for someone who has not set one up.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
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


def make_staff(
    session: Session, area: Area, *roles: str, email: str | None = None, password: str = PASSWORD,
    totp_secret: str | None = TOTP_SECRET,
) -> User:
    user = create_user(
        session,
        email=email or f"staff{next(_counter)}@{area.slug}.example",
        display_name="Test Staff",
        password=password,
        area=area,
        roles=list(roles),
        organisation="Test Org",
    )
    if totp_secret:
        user.totp_secret = totp_secret
        user.totp_confirmed_at = utcnow()
    session.commit()
    return user


def make_oidc_config(
    session: Session, area: Area, *, issuer: str, client_id: str, client_secret: str, **overrides: Any
) -> AreaOidcConfig:
    """Single sign-on for the area, as an admin would set it up for the council's directory."""
    assert area.id is not None
    values: dict[str, Any] = {
        "area_id": area.id,
        "organisation_name": "Brackenford Council",
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": client_secret,
        "scopes": "openid email profile groups",
        "allowed_domains": "brackenford-council.example",
        "groups_claim": "groups",
        "role_mapping": {"efh-panel": ["statutory"], "youth-work-leads": ["moderator"]},
    } | overrides
    config = AreaOidcConfig(**values)
    session.add(config)
    # As saving the settings does: each allowed domain is this area's alone.
    for domain in config.domain_list:
        session.add(OidcDomain(domain=domain, area_id=area.id))
    session.commit()
    return config


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


def make_workshop(session: Session, area: Area, staff: User, **overrides: Any) -> Any:
    """A workshop as a facilitator would start it (through the real service, so it has a join code)."""
    from datetime import date

    from app.accounts.service import StaffIdentity
    from app.workshops import service as workshops
    from app.workshops.schemas import WorkshopCreate

    values: dict[str, Any] = {"title": "Youth club safety mapping", "held_on": date(2026, 11, 25), "votes_per_person": 3} | overrides
    code_hours = values.pop("code_hours", 12)
    identity = StaffIdentity(user=staff, area=area, roles=frozenset({"facilitator"}), session_id=0)
    return workshops.create_workshop(session, area, identity, WorkshopCreate.model_validate(values), code_hours=code_hours)



def make_context(session: Session, area: Area, name: str = "Canal Walk", **overrides: Any) -> Any:
    """A register context in `area` (a place by default, at Victoria Park's cell)."""
    from app.register.models import Context

    assert area.id is not None
    values: dict[str, Any] = {"area_id": area.id, "name": name, "kind": "place", "h3_cell": "88195c00b7fffff"} | overrides
    context = Context(**values)
    session.add(context)
    session.commit()
    return context


def make_published(session: Session, area: Area, context: Any, **overrides: Any) -> Report:
    """A report that a moderator has published into `context`, its public text the same as its words."""
    created_at = overrides.pop("created_at", None)
    report = make_report(session, area, **overrides)
    report.status = "published"
    report.public_description = report.description
    report.context_id = context.id
    report.moderated_at = utcnow()
    if created_at is not None:
        report.created_at = created_at
    context.updated_at = utcnow()
    session.add_all([report, context])
    session.flush()
    # As moderation's publish does, in the same transaction: the register reads these counts.
    from app.register import counts

    counts.entry_published(session, report)
    session.commit()
    return report
