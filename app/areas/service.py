"""Finding the area a request belongs to, and reading its gazetteer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.areas.models import Area, Place, PlaceKind
from app.areas.schemas import SafeguardingSettings
from app.audit import service as audit


def area_for_host(session: Session, host: str | None, default_slug: str = "") -> Area | None:
    if host:
        hostname = host.split(":")[0].lower()
        found = session.exec(select(Area).where(Area.hostname == hostname)).first()
        if found:
            return found
    if default_slug:
        found = session.exec(select(Area).where(Area.slug == default_slug)).first()
        if found:
            return found
    return session.exec(select(Area).order_by(col(Area.id))).first()


def get_area(session: Session, area_id: int) -> Area | None:
    return session.get(Area, area_id)


def places(session: Session, area_id: int) -> Sequence[Place]:
    return session.exec(select(Place).where(Place.area_id == area_id).order_by(col(Place.name))).all()


def get_place(session: Session, area_id: int, place_id: int) -> Place | None:
    place = session.get(Place, place_id)
    return place if place and place.area_id == area_id else None


def search_places(session: Session, area_id: int, term: str, *, limit: int = 8) -> Sequence[Place]:
    term = term.strip()
    if not term:
        return []
    pattern = f"%{term.replace('%', '').replace('_', '')}%"
    query = (
        select(Place)
        .where(Place.area_id == area_id, col(Place.name).ilike(pattern))
        .order_by(col(Place.name))
        .limit(limit)
    )
    return session.exec(query).all()


def school_names(session: Session, area_id: int) -> list[str]:
    query = select(Place.name).where(Place.area_id == area_id, Place.kind == PlaceKind.SCHOOL)
    return list(session.exec(query).all())


def place_names(session: Session, area_id: int) -> list[str]:
    query = select(Place.name).where(Place.area_id == area_id, Place.kind != PlaceKind.SCHOOL)
    return list(session.exec(query).all())


def save_safeguarding_settings(session: Session, area: Area, settings: SafeguardingSettings, *, actor_id: int | None) -> None:
    """Who is told about possible disclosures, how long before an entry escalates or is overdue, and
    the time zone the area's dates and times are shown in."""
    values = {
        "safeguarding_emails": ", ".join(settings.safeguarding_emails),
        "escalation_emails": ", ".join(settings.escalation_emails),
        "urgent_response_minutes": settings.urgent_response_minutes,
        "review_hours": settings.review_hours,
        "time_zone": settings.time_zone,
        "alert_locales": ",".join(settings.alert_locales),
    }
    changed = sorted(name for name, value in values.items() if getattr(area, name) != value)
    for name, value in values.items():
        setattr(area, name, value)
    session.add(area)
    audit.record(
        session, "area.safeguarding_settings_changed", area_id=area.id, actor_id=actor_id, subject_type="area", subject_id=area.id,
        changed=changed, safeguarding_contacts=len(settings.safeguarding_emails), escalation_contacts=len(settings.escalation_emails),
        urgent_response_minutes=settings.urgent_response_minutes, review_hours=settings.review_hours, time_zone=settings.time_zone,
        alert_locales=list(settings.alert_locales),
    )
