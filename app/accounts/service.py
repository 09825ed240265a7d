"""Staff accounts: creating and finding them, checking their password and second factor, and their
roles per area.

Password sign-in always takes a second step, a TOTP code (accounts/totp.py), set up on first sign-in.
Guessing is slowed in accounts/throttle.py; here every password answer, for an unknown, paused,
inactive or real account, right or wrong, costs exactly one argon2 verification.

Areas: a person's roles are per area (Membership rows). `StaffIdentity` is who is signed in, in which
area and with which roles; accounts/sessions.py resumes it from the cookie.

Elsewhere in accounts/: the sign-in flows step by step, each owning its transaction (sign_in.py),
sessions and choosing an area (sessions.py), single sign-on (sso.py), and the changes that take
access away, each ending the person's other sessions (changes.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from app.accounts import totp
from app.accounts.models import Membership, Role, User
from app.areas.models import Area
from app.audit import service as audit
from app.core.types import utcnow

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))
MIN_PASSWORD_LENGTH = 12
# Wrong TOTP codes allowed before each further one pauses the second step (doubling, up to a day).
TOTP_FREE_ATTEMPTS = 5


class AccountError(ValueError):
    """A staff account could not be created or changed; the message says why in plain words."""


@dataclass(frozen=True)
class StaffIdentity:
    user: User
    area: Area
    roles: frozenset[str]
    session_id: int
    # True when this session may move to another of the person's areas (the staff navigation
    # then offers the switcher).
    can_switch_area: bool = False

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


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def authenticate(session: Session, email: str, password: str, *, now: datetime | None = None) -> User | None:
    """The user when the password is right, the account is usable and has a role somewhere; None
    otherwise (audited).

    Every call runs exactly one argon2 verification, against a dummy hash when there is no such
    account, so an unknown, inactive or wrong answer takes as long as a right one. How many tries
    are allowed is decided by accounts/throttle.py before this is called, never by a stored lock.
    """
    now = now or utcnow()
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    password_hash = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    right = _verify(password_hash, password)
    reason = None
    if user is None or not user.password_hash:
        reason = "unknown_account"
    elif not right:
        reason = "password"
    elif not user.is_active:
        reason = "inactive"
    elif not areas_for(session, user):
        reason = "no_area"
    if reason is not None:
        audit.record(
            session, "auth.sign_in_refused", area_id=None, subject_type="user" if user else "",
            subject_id=user.id if user else "", reason=reason,
        )
        return None
    assert user is not None and user.password_hash
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    # last_sign_in_at is set when the code is right too: a password alone is not a sign-in.
    return user


def check_password_while_paused(session: Session, email: str, password: str) -> bool:
    """A password alone for a paused account (accounts/throttle.py): the same one verification,
    and refused whatever it is (audited). True when it was right, so it is not counted as wrong."""
    user = authenticate(session, email, password)
    if user is None:
        return False
    audit.record(session, "auth.sign_in_refused", area_id=None, subject_type="user", subject_id=user.id, reason="paused_needs_code")
    return True


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def areas_for(session: Session, user: User) -> list[Area]:
    member_of = select(Membership.area_id).where(Membership.user_id == user.id)
    query = select(Area).where(col(Area.id).in_(member_of)).order_by(col(Area.name))
    return list(session.exec(query).all())


def area_by_id(session: Session, area_id: int) -> Area | None:
    return session.get(Area, area_id)


def roles_in(session: Session, user_id: int, area_id: int) -> frozenset[str]:
    query = select(Membership.role).where(Membership.user_id == user_id, Membership.area_id == area_id)
    return frozenset(session.exec(query).all())


# --- The second factor (TOTP) -------------------------------------------------------------------


class CodeRefusal(StrEnum):
    WRONG = "wrong"
    REUSED = "reused"
    LOCKED = "locked"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class CodeCheck:
    user: User | None
    refusal: CodeRefusal | None = None
    wait_minutes: int = 0

    @property
    def ok(self) -> bool:
        return self.refusal is None


def prepare_second_factor(session: Session, user: User) -> bool:
    """After a right password: True when the person already has a confirmed TOTP secret.

    Otherwise they set one up now; a secret started earlier and not yet confirmed is kept, so a
    person who scanned the code and was interrupted can carry on.
    """
    if user.has_second_factor:
        return True
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        session.add(user)
        audit.record(session, "auth.totp_enrolment_started", area_id=None, subject_type="user", subject_id=user.id)
    return False


def pending_user(session: Session, user_id: int) -> User | None:
    """The person between their password and their code, while the account is still usable."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or not user.password_hash or not user.totp_secret:
        return None
    return user


def check_second_factor(session: Session, user_id: int, code: str, *, now: datetime | None = None) -> CodeCheck:
    """Checks a TOTP code: right, not used before, and not while paused after wrong ones.

    Runs in a write transaction; the row lock (PostgreSQL) or the write lock (SQLite) means two
    requests with the same code cannot both pass. A first right code also confirms enrolment.
    """
    now = now or utcnow()
    user = session.exec(select(User).where(User.id == user_id).with_for_update()).first()
    if user is None or not user.is_active or not user.password_hash or not user.totp_secret:
        audit.record(session, "auth.sign_in_refused", area_id=None, subject_type="user", subject_id=user_id, reason="totp_unavailable")
        return CodeCheck(user=None, refusal=CodeRefusal.UNAVAILABLE)
    if user.totp_locked_until and user.totp_locked_until > now:
        audit.record(session, "auth.sign_in_refused", area_id=None, subject_type="user", subject_id=user.id, reason="totp_locked")
        return CodeCheck(user=user, refusal=CodeRefusal.LOCKED, wait_minutes=_minutes_until(user.totp_locked_until, now))
    step = totp.matching_step(user.totp_secret, code, now)
    refusal = None
    if step is None:
        refusal = CodeRefusal.WRONG
    elif user.totp_last_step is not None and step <= user.totp_last_step:
        refusal = CodeRefusal.REUSED
    if refusal is not None:
        user.totp_failures += 1
        if user.totp_failures >= TOTP_FREE_ATTEMPTS:
            minutes = min(2 ** (user.totp_failures - TOTP_FREE_ATTEMPTS), 24 * 60)
            user.totp_locked_until = now + timedelta(minutes=minutes)
        session.add(user)
        audit.record(session, "auth.sign_in_refused", area_id=None, subject_type="user", subject_id=user.id, reason=f"totp_{refusal.value}")
        wait = _minutes_until(user.totp_locked_until, now) if user.totp_locked_until and user.totp_locked_until > now else 0
        return CodeCheck(user=user, refusal=CodeRefusal.LOCKED if wait else refusal, wait_minutes=wait)
    user.totp_last_step = step
    user.totp_failures = 0
    user.totp_locked_until = None
    user.last_sign_in_at = now
    if user.totp_confirmed_at is None:
        user.totp_confirmed_at = now
        audit.record(session, "auth.totp_enrolled", area_id=None, subject_type="user", subject_id=user.id)
    session.add(user)
    return CodeCheck(user=user)


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, -(-int((moment - now).total_seconds()) // 60))
