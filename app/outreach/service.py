"""Posters, partners' links and campaigns: making them, counting their use, summing up a campaign.

Counting is the whole of what is known: how many times a link was opened on a day. No cookie, no
address, no link between an opening and a report. Reports in a campaign's window are counted for
the area (and for a poster's place), not traced back to a poster.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.areas.models import Area, Place
from app.audit import service as audit
from app.outreach.models import Campaign, LinkKind, OutreachCount, OutreachLink
from app.reports.models import Report, ReportKind, ReportStatus

CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B: read off a wall and typed
CODE_LENGTH = 8
LABEL_MAX = 120
PARTNER_MAX = 160
NAME_MAX = 120
PURPOSE_MAX = 500
LONGEST_CAMPAIGN = timedelta(days=366)
RECENT_DAYS = 28


class OutreachError(ValueError):
    """Input that cannot be saved, with a code the page turns into a message."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(code)
        self.field = field
        self.code = code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def today() -> date:
    return datetime.now(UTC).date()


# --- Making links and campaigns ----------------------------------------------------------------


def create_link(
    session: Session,
    staff: StaffIdentity,
    *,
    kind: str,
    label: str,
    partner_name: str = "",
    place_id: int | None = None,
    campaign_id: int | None = None,
) -> OutreachLink:
    area_id = staff.area.id
    assert area_id is not None
    label, partner_name = label.strip(), partner_name.strip()
    if kind not in {k.value for k in LinkKind}:
        raise OutreachError("kind", "kind_unknown")
    if not label:
        raise OutreachError("label", "label_missing")
    if len(label) > LABEL_MAX:
        raise OutreachError("label", "label_too_long")
    if len(partner_name) > PARTNER_MAX:
        raise OutreachError("partner_name", "partner_too_long")
    if kind == LinkKind.PARTNER and not partner_name:
        raise OutreachError("partner_name", "partner_missing")
    if place_id is not None and session.exec(select(Place.id).where(Place.id == place_id, Place.area_id == area_id)).first() is None:
        raise OutreachError("place_id", "place_unknown")
    if campaign_id is not None and get_campaign(session, area_id, campaign_id) is None:
        raise OutreachError("campaign_id", "campaign_unknown")
    link = OutreachLink(
        area_id=area_id, code=new_code(), kind=kind, label=label, partner_name=partner_name,
        place_id=place_id, campaign_id=campaign_id, created_by_id=staff.user.id,
    )
    session.add(link)
    session.flush()
    audit.record(session, "outreach.link_created", area_id=area_id, actor_id=staff.user.id, subject_type="outreach_link", subject_id=link.id, kind=kind)
    session.commit()
    return link


def set_active(session: Session, staff: StaffIdentity, link: OutreachLink, active: bool) -> None:
    if link.active == active:
        return
    link.active = active
    session.add(link)
    audit.record(
        session, "outreach.link_resumed" if active else "outreach.link_paused", area_id=link.area_id,
        actor_id=staff.user.id, subject_type="outreach_link", subject_id=link.id,
    )
    session.commit()


def create_campaign(
    session: Session, staff: StaffIdentity, *, name: str, purpose: str, starts_on: date, ends_on: date
) -> Campaign:
    area_id = staff.area.id
    assert area_id is not None
    name, purpose = name.strip(), purpose.strip()
    if not name:
        raise OutreachError("name", "name_missing")
    if len(name) > NAME_MAX:
        raise OutreachError("name", "name_too_long")
    if len(purpose) > PURPOSE_MAX:
        raise OutreachError("purpose", "purpose_too_long")
    if ends_on < starts_on:
        raise OutreachError("ends_on", "ends_before_start")
    if ends_on - starts_on > LONGEST_CAMPAIGN:
        raise OutreachError("ends_on", "too_long")
    campaign = Campaign(area_id=area_id, name=name, purpose=purpose, starts_on=starts_on, ends_on=ends_on, created_by_id=staff.user.id)
    session.add(campaign)
    session.flush()
    audit.record(session, "outreach.campaign_created", area_id=area_id, actor_id=staff.user.id, subject_type="outreach_campaign", subject_id=campaign.id)
    session.commit()
    return campaign


# --- Reading ------------------------------------------------------------------------------------


def get_link(session: Session, area_id: int, link_id: int) -> OutreachLink | None:
    link = session.get(OutreachLink, link_id)
    return link if link is not None and link.area_id == area_id else None


def get_campaign(session: Session, area_id: int, campaign_id: int) -> Campaign | None:
    campaign = session.get(Campaign, campaign_id)
    return campaign if campaign is not None and campaign.area_id == area_id else None


def campaigns(session: Session, area_id: int) -> Sequence[Campaign]:
    return session.exec(select(Campaign).where(Campaign.area_id == area_id).order_by(col(Campaign.starts_on).desc())).all()


@dataclass(frozen=True)
class LinkRow:
    link: OutreachLink
    place_name: str
    campaign_name: str
    visits: int
    recent_visits: int


def link_rows(session: Session, area_id: int, *, on: date | None = None, only: OutreachLink | None = None) -> list[LinkRow]:
    """Every link of the area with its openings (all time, and the last RECENT_DAYS), newest first;
    `only` limits it to that one link (its own page)."""
    on = on or today()
    since = on - timedelta(days=RECENT_DAYS - 1)
    links = [only] if only is not None else session.exec(
        select(OutreachLink).where(OutreachLink.area_id == area_id).order_by(col(OutreachLink.created_at).desc())
    ).all()
    ids = [link.id for link in links]
    totals: dict[int, int] = {}
    recent: dict[int, int] = {}
    if ids:
        for link_id, total in session.exec(
            select(OutreachCount.link_id, func.sum(OutreachCount.visits)).where(col(OutreachCount.link_id).in_(ids)).group_by(col(OutreachCount.link_id))
        ).all():
            totals[link_id] = int(total or 0)
        for link_id, total in session.exec(
            select(OutreachCount.link_id, func.sum(OutreachCount.visits))
            .where(col(OutreachCount.link_id).in_(ids), OutreachCount.day >= since)
            .group_by(col(OutreachCount.link_id))
        ).all():
            recent[link_id] = int(total or 0)
    places = dict(session.exec(select(Place.id, Place.name).where(Place.area_id == area_id)).all())
    names = {c.id: c.name for c in campaigns(session, area_id)}
    return [
        LinkRow(
            link=link,
            place_name=places.get(link.place_id, "") if link.place_id else "",
            campaign_name=names.get(link.campaign_id, "") if link.campaign_id else "",
            visits=totals.get(link.id or 0, 0),
            recent_visits=recent.get(link.id or 0, 0),
        )
        for link in links
    ]


# --- Counting an opening -----------------------------------------------------------------------


def count_visit(session: Session, code: str, *, on: date | None = None) -> OutreachLink | None:
    """One more opening of this link today; None (and nothing counted) for an unknown or paused code."""
    on = on or today()
    link = session.exec(select(OutreachLink).where(OutreachLink.code == code.upper())).first()
    if link is None or not link.active:
        return None
    assert link.id is not None
    for _attempt in range(2):
        bumped = session.execute(
            update(OutreachCount)
            .where(col(OutreachCount.link_id) == link.id, col(OutreachCount.day) == on)
            .values(visits=OutreachCount.visits + 1)
        )
        if bumped.rowcount:  # type: ignore[attr-defined]
            break
        try:
            with session.begin_nested():
                session.add(OutreachCount(link_id=link.id, day=on, visits=1))
            break
        except IntegrityError:
            continue  # another request made today's row first: add to it
    session.commit()
    return link


# --- A campaign's summary ----------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    finished: bool
    links: list[tuple[OutreachLink, int]]  # each link in the campaign and its openings in the window
    received: dict[str, int]  # entries sent in the window, by kind
    published: dict[str, int]  # of those, published, by kind
    at_places: list[tuple[str, int]]  # for posters at a place: published entries there in the window


def campaign_summary(session: Session, area: Area, campaign: Campaign, *, on: date | None = None) -> CampaignSummary:
    on = on or today()
    assert area.id is not None and campaign.id is not None
    start = datetime.combine(campaign.starts_on, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(campaign.ends_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    links = session.exec(select(OutreachLink).where(OutreachLink.campaign_id == campaign.id).order_by(col(OutreachLink.label))).all()
    openings: dict[int, int] = {}
    if links:
        for link_id, total in session.exec(
            select(OutreachCount.link_id, func.sum(OutreachCount.visits))
            .where(
                col(OutreachCount.link_id).in_([link.id for link in links]),
                OutreachCount.day >= campaign.starts_on,
                OutreachCount.day <= campaign.ends_on,
            )
            .group_by(col(OutreachCount.link_id))
        ).all():
            openings[link_id] = int(total or 0)
    in_window = (Report.area_id == area.id, col(Report.created_at) >= start, col(Report.created_at) < end, col(Report.workshop_id).is_(None))
    received = {kind.value: 0 for kind in ReportKind}
    published = {kind.value: 0 for kind in ReportKind}
    for kind, status, count in session.exec(
        select(Report.kind, Report.status, func.count()).where(*in_window).group_by(Report.kind, Report.status)
    ).all():
        received[kind] = received.get(kind, 0) + int(count)
        if status == ReportStatus.PUBLISHED:
            published[kind] = published.get(kind, 0) + int(count)
    at_places: list[tuple[str, int]] = []
    place_ids = sorted({link.place_id for link in links if link.place_id is not None})
    if place_ids:
        names = dict(session.exec(select(Place.id, Place.name).where(col(Place.id).in_(place_ids))).all())
        counts = dict(
            session.exec(
                select(Report.place_id, func.count())
                .where(*in_window, col(Report.place_id).in_(place_ids), Report.status == ReportStatus.PUBLISHED)
                .group_by(col(Report.place_id))
            ).all()
        )
        at_places = [(names[pid], int(counts.get(pid, 0))) for pid in place_ids if pid in names]
    return CampaignSummary(
        campaign=campaign,
        finished=on > campaign.ends_on,
        links=[(link, openings.get(link.id or 0, 0)) for link in links],
        received=received,
        published=published,
        at_places=at_places,
    )
