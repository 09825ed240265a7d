"""Staff sessions: starting one at sign-in, resuming it from the cookie, choosing or switching the
area it works in, and ending it.

The cookie holds a signed 256-bit random token; the database keeps only its SHA-256, the user, the
area and the times that enforce the idle and absolute limits. Signing in always makes a new token
(ASVS: a new session token at sign-in).

A session works in one area at a time. After a password and code, someone with roles in several
areas chooses one, and may switch later; a session begun through an area's own provider stays in
that area, because that provider speaks for that area only.

`end_other_sessions` is what makes a change to an account (accounts/changes.py), or a role taken
away at the organisation (accounts/sso.py), stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, delete, select, update

from app.accounts.models import StaffSession, User
from app.accounts.service import StaffIdentity, areas_for, roles_in
from app.areas.models import Area
from app.audit import service as audit
from app.core.db import Database
from app.core.types import utcnow

# A session still waiting for its person to choose an area is dropped after this long.
AREA_CHOICE_LIFETIME = timedelta(minutes=10)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user: User, area: Area | None, *, method: str = "password", provider_logout_url: str | None = None,
    created_at: datetime | None = None,
) -> str:
    """A new session token. With no area, the session opens no staff page until the person chooses one."""
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    area_id = area.id if area is not None else None
    now = utcnow()
    session.add(
        StaffSession(
            token_hash=_token_hash(token), user_id=user.id, area_id=area_id,
            sign_in_method=method, provider_logout_url=provider_logout_url,
            created_at=created_at or now, last_seen_at=now,
        )
    )
    if created_at is None:
        audit.record(session, "auth.signed_in", area_id=area_id, actor_id=user.id, method=method)
    return token


def sign_in_area(session: Session, user: User) -> tuple[Area | None, bool]:
    """Where a password sign-in starts: (the area, False) with one area; (None, True) when the
    person has roles in several and chooses; (None, False) with none."""
    areas = areas_for(session, user)
    if len(areas) == 1:
        return areas[0], False
    return None, len(areas) > 1


def _switchable(method: str) -> bool:
    # A provider vouches for its own area only: a session it began never moves to another.
    return method == "password"


def _load_session(
    db: Database, token: str, *, idle: timedelta, absolute: timedelta, now: datetime
) -> tuple[StaffSession, User] | None:
    """The live session row for this token and its person, or None (dropping it if expired)."""
    with db.session() as session:
        found = session.exec(select(StaffSession).where(StaffSession.token_hash == _token_hash(token))).first()
        if found is None:
            return None
        user = session.get(User, found.user_id)
    expired = now - found.last_seen_at > idle or now - found.created_at > absolute
    if found.area_id is None:
        expired = expired or now - found.created_at > AREA_CHOICE_LIFETIME
    if expired or user is None or not user.is_active:
        with db.transaction() as session:
            session.exec(delete(StaffSession).where(col(StaffSession.id) == found.id))
        return None
    return found, user


def resume_session(
    db: Database, token: str, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
) -> StaffIdentity | None:
    """Who this cookie belongs to, or None when it is unknown, past its idle or absolute limit,
    or still waiting for its person to choose an area.

    Reads in a read session; the rare writes (expiry, a once-a-minute touch) take their own write
    transaction, so a staff page view never upgrades a SQLite read into a write.
    """
    now = now or utcnow()
    loaded = _load_session(db, token, idle=idle, absolute=absolute, now=now)
    if loaded is None:
        return None
    found, user = loaded
    if found.area_id is None:
        return None
    with db.session() as session:
        area = session.get(Area, found.area_id)
        roles = roles_in(session, found.user_id, found.area_id)
        can_switch = _switchable(found.sign_in_method) and len(areas_for(session, user)) > 1
    if area is None or not roles:
        with db.transaction() as session:
            session.exec(delete(StaffSession).where(col(StaffSession.id) == found.id))
        return None
    if now - found.last_seen_at > timedelta(minutes=1):
        with db.transaction() as session:
            session.exec(
                update(StaffSession).where(col(StaffSession.id) == found.id).values(last_seen_at=now)
            )
    assert found.id is not None
    return StaffIdentity(user=user, area=area, roles=roles, session_id=found.id, can_switch_area=can_switch)


@dataclass(frozen=True)
class AreaChoice:
    """A session waiting for its person to choose an area, and the areas they may choose."""

    user: User
    session_id: int
    areas: list[Area]


def awaiting_area_choice(
    db: Database, token: str, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
) -> AreaChoice | None:
    """The person behind a session that has no area yet, or None for any other cookie."""
    now = now or utcnow()
    loaded = _load_session(db, token, idle=idle, absolute=absolute, now=now)
    if loaded is None or loaded[0].area_id is not None:
        return None
    found, user = loaded
    assert found.id is not None
    with db.session() as session:
        areas = areas_for(session, user)
    return AreaChoice(user=user, session_id=found.id, areas=areas)


def areas_to_switch_to(session: Session, identity: StaffIdentity) -> tuple[list[Area], bool]:
    """The areas this session may work in, and whether an area's single sign-on holds it to that
    area: all the person's areas after a password and code, only its own after single sign-on."""
    found = session.get(StaffSession, identity.session_id)
    if found is None:
        return [], False
    if not _switchable(found.sign_in_method):
        return [identity.area], True
    return areas_for(session, identity.user), False


def choose_area(session: Session, session_id: int, user_id: int, area_slug: str) -> str | None:
    """Moves a session to one of its person's areas; returns a new session token, or None when the
    session cannot work there (no role there, or a single sign-on session from another area).

    The token changes with the area (ASVS: a new session token when what it grants changes);
    the session keeps its start time, so the absolute limit still counts from the sign-in.
    """
    found = session.exec(select(StaffSession).where(col(StaffSession.id) == session_id).with_for_update()).first()
    user = session.get(User, user_id)
    area = session.exec(select(Area).where(Area.slug == area_slug)).first()
    if found is None or found.user_id != user_id or user is None or not user.is_active or area is None or area.id is None:
        return None
    if not roles_in(session, user_id, area.id):
        return None
    if found.area_id is not None and found.area_id != area.id and not _switchable(found.sign_in_method):
        return None
    before = found.area_id
    session.exec(delete(StaffSession).where(col(StaffSession.id) == found.id))
    token = start_session(
        session, user, area, method=found.sign_in_method, provider_logout_url=found.provider_logout_url,
        created_at=found.created_at,
    )
    audit.record(
        session, "auth.area_chosen" if before is None else "auth.area_switched", area_id=area.id, actor_id=user_id,
        from_area_id=before,
    )
    return token


def end_other_sessions(
    session: Session, user_id: int, *, reason: str, keep_session_id: int | None = None, area_id: int | None = None,
    actor_id: int | None = None,
) -> int:
    """Ends the person's sessions (all of them, or those working in one area and those not yet in
    any), except the one they are using; audited with how many ended and why."""
    query = delete(StaffSession).where(col(StaffSession.user_id) == user_id)
    if keep_session_id is not None:
        query = query.where(col(StaffSession.id) != keep_session_id)
    if area_id is not None:
        query = query.where(or_(col(StaffSession.area_id) == area_id, col(StaffSession.area_id).is_(None)))
    ended = int(session.exec(query).rowcount or 0)  # type: ignore[attr-defined]
    audit.record(
        session, "auth.sessions_ended", area_id=area_id, actor_id=actor_id, subject_type="user", subject_id=user_id,
        reason=reason, count=ended,
    )
    return ended


def end_session_by_id(session: Session, session_id: int, user_id: int) -> None:
    """Signing out before an area was chosen."""
    session.exec(delete(StaffSession).where(col(StaffSession.id) == session_id))
    audit.record(session, "auth.signed_out", area_id=None, actor_id=user_id)


def end_session(session: Session, identity: StaffIdentity) -> str | None:
    """Ends our session; returns where to send the browser to end the provider's too, if anywhere."""
    found = session.get(StaffSession, identity.session_id)
    logout_url = found.provider_logout_url if found else None
    session.exec(delete(StaffSession).where(col(StaffSession.id) == identity.session_id))
    audit.record(session, "auth.signed_out", area_id=identity.area.id, actor_id=identity.user.id)
    return logout_url
