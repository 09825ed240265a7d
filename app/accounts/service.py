"""Staff accounts, sign-in and sessions.

Sessions: the cookie holds a signed 256-bit random token; the database keeps only its SHA-256, the
user, the area and the times that enforce the idle and absolute limits. Signing in always makes a
new token (ASVS: a new session token at sign-in).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, delete, select, update

from app.accounts.models import Membership, Role, StaffSession, User
from app.areas.models import Area
from app.audit import service as audit
from app.core.db import Database
from app.core.types import utcnow

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))
LOCK_AFTER_FAILURES = 5
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """A staff account could not be created or changed; the message says why in plain words."""


@dataclass(frozen=True)
class StaffIdentity:
    user: User
    area: Area
    roles: frozenset[str]
    session_id: int

    def has(self, *roles: str) -> bool:
        return Role.ADMIN in self.roles or any(role in self.roles for role in roles)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str | None,
    area: Area,
    roles: list[str],
    organisation: str = "",
) -> User:
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError("That email address does not look right.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    unknown = [r for r in roles if r not in {role.value for role in Role}]
    if unknown or not roles:
        raise AccountError(f"Roles must be some of: {', '.join(r.value for r in Role)}.")
    if session.exec(select(User).where(User.email == email)).first():
        raise AccountError("A staff account with that email already exists.")
    user = User(
        email=email,
        display_name=display_name.strip() or email,
        organisation=organisation,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    assert user.id is not None and area.id is not None
    for role in roles:
        session.add(Membership(user_id=user.id, area_id=area.id, role=role))
    audit.record(session, "account.created", area_id=area.id, subject_type="user", subject_id=user.id, roles=roles)
    return user


def authenticate(session: Session, email: str, password: str, *, now: datetime | None = None) -> User | None:
    """The user when the password is right and the account is usable; None otherwise (audited)."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None or not user.password_hash:
        _verify(_DUMMY_HASH, password)
        audit.record(session, "auth.sign_in_refused", area_id=None, reason="unknown_account")
        return None
    if not user.is_active:
        audit.record(session, "auth.sign_in_refused", area_id=None, subject_type="user", subject_id=user.id, reason="inactive")
        return None
    if user.locked_until and user.locked_until > now:
        audit.record(session, "auth.sign_in_refused", area_id=None, subject_type="user", subject_id=user.id, reason="locked")
        return None
    if not _verify(user.password_hash, password):
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= LOCK_AFTER_FAILURES:
            # Backoff doubles with each further failure, capped at a day.
            minutes = min(2 ** (user.failed_sign_ins - LOCK_AFTER_FAILURES), 24 * 60)
            user.locked_until = now + timedelta(minutes=minutes)
        session.add(user)
        audit.record(session, "auth.sign_in_refused", area_id=None, subject_type="user", subject_id=user.id, reason="password")
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    session.add(user)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def areas_for(session: Session, user: User) -> list[Area]:
    member_of = select(Membership.area_id).where(Membership.user_id == user.id)
    query = select(Area).where(col(Area.id).in_(member_of)).order_by(col(Area.name))
    return list(session.exec(query).all())


def roles_in(session: Session, user_id: int, area_id: int) -> frozenset[str]:
    query = select(Membership.role).where(Membership.user_id == user_id, Membership.area_id == area_id)
    return frozenset(session.exec(query).all())


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, area: Area) -> str:
    token = secrets.token_urlsafe(32)
    assert user.id is not None and area.id is not None
    session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, area_id=area.id))
    audit.record(session, "auth.signed_in", area_id=area.id, actor_id=user.id)
    return token


def resume_session(
    db: Database, token: str, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
) -> StaffIdentity | None:
    """Who this cookie belongs to, or None when it is unknown or past its idle or absolute limit.

    Reads in a read session; the rare writes (expiry, a once-a-minute touch) take their own write
    transaction, so a staff page view never upgrades a SQLite read into a write.
    """
    now = now or utcnow()
    with db.session() as session:
        found = session.exec(select(StaffSession).where(StaffSession.token_hash == _token_hash(token))).first()
        if found is None:
            return None
        user = session.get(User, found.user_id)
        area = session.get(Area, found.area_id)
        roles = roles_in(session, found.user_id, found.area_id)
    expired = now - found.last_seen_at > idle or now - found.created_at > absolute
    if expired or user is None or not user.is_active or area is None or not roles:
        with db.transaction() as session:
            session.exec(delete(StaffSession).where(col(StaffSession.id) == found.id))
        return None
    if now - found.last_seen_at > timedelta(minutes=1):
        with db.transaction() as session:
            session.exec(
                update(StaffSession).where(col(StaffSession.id) == found.id).values(last_seen_at=now)
            )
    assert found.id is not None
    return StaffIdentity(user=user, area=area, roles=roles, session_id=found.id)


def end_session(session: Session, identity: StaffIdentity) -> None:
    session.exec(delete(StaffSession).where(col(StaffSession.id) == identity.session_id))
    audit.record(session, "auth.signed_out", area_id=identity.area.id, actor_id=identity.user.id)
