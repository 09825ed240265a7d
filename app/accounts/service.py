"""Staff accounts, sign-in and sessions.

Sessions: the cookie holds a signed 256-bit random token; the database keeps only its SHA-256, the
user, the area and the times that enforce the idle and absolute limits. Signing in always makes a
new token (ASVS: a new session token at sign-in).

Password sign-in always takes a second step, a TOTP code (accounts/totp.py), set up on first sign-in.
Single sign-on (accounts/oidc.py talks to the provider) matches or creates the account here, by
verified email within the area's allowed domains, and sets its roles from the provider's groups.

Areas: a person's roles are per area (Membership rows). A session works in one area at a time. After
a password and code, someone with roles in several areas chooses one, and may switch later; a
session begun through an area's own provider stays in that area, because that provider speaks
for that area only. Each email domain belongs to one area's single sign-on (OidcDomain).

Guessing is slowed in accounts/throttle.py; here every password answer, for an unknown, paused,
inactive or real account, right or wrong, costs exactly one argon2 verification.

Changing a password, resetting a code, removing a role or pausing an account ends the person's
other sessions, so what was taken away stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from app.accounts import totp
from app.accounts.models import (
    AreaOidcConfig,
    Membership,
    OidcDomain,
    OidcLoginAttempt,
    Role,
    StaffSession,
    User,
)
from app.areas.models import Area
from app.audit import service as audit
from app.core.db import Database
from app.core.types import utcnow

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))
MIN_PASSWORD_LENGTH = 12
# Wrong TOTP codes allowed before each further one pauses the second step (doubling, up to a day).
TOTP_FREE_ATTEMPTS = 5
OIDC_ATTEMPT_LIFETIME = timedelta(minutes=10)
# A session still waiting for its person to choose an area is dropped after this long.
AREA_CHOICE_LIFETIME = timedelta(minutes=10)


class AccountError(ValueError):
    """A staff account could not be created or changed; the message says why in plain words."""


class DomainTaken(AccountError):
    """Single sign-on settings name email domains that another area's sign-in already lets in."""

    def __init__(self, domains: list[str]) -> None:
        super().__init__(f"Another area's sign-in already lets in {', '.join(domains)}; an email domain can belong to one area only.")
        self.domains = domains


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


def set_password(
    session: Session, user: User, password: str, *, actor_id: int | None = None, via: str = "cli",
    keep_session_id: int | None = None,
) -> None:
    """A new password. Every other session of the person ends: whoever knew the old one is out.

    `keep_session_id` is the session of a person changing their own password, which stays.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    assert user.id is not None
    user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    session.add(user)
    audit.record(session, "account.password_set", area_id=None, actor_id=actor_id, subject_type="user", subject_id=user.id, via=via)
    end_other_sessions(session, user.id, reason="password_set", keep_session_id=keep_session_id, actor_id=actor_id)


def remove_role(
    session: Session, user: User, area: Area, role: str, *, actor_id: int | None = None, via: str = "cli"
) -> bool:
    """Takes one role in one area away; False when the person did not have it.

    Their sessions in that area (and any not yet in an area) end, so the role stops at once; the
    person signs in again with what they still have.
    """
    assert user.id is not None and area.id is not None
    removed = session.exec(
        delete(Membership).where(
            col(Membership.user_id) == user.id, col(Membership.area_id) == area.id, col(Membership.role) == role
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    audit.record(session, "account.role_removed", area_id=area.id, actor_id=actor_id, subject_type="user", subject_id=user.id, role=role, via=via)
    end_other_sessions(session, user.id, reason="role_removed", area_id=area.id, actor_id=actor_id)
    return True


def set_account_active(session: Session, user: User, active: bool, *, actor_id: int | None = None, via: str = "cli") -> None:
    """Pauses (or restores) an account. Pausing ends every session of the person."""
    assert user.id is not None
    if user.is_active == active:
        return
    user.is_active = active
    session.add(user)
    audit.record(session, "account.enabled" if active else "account.disabled", area_id=None, actor_id=actor_id, subject_type="user", subject_id=user.id, via=via)
    if not active:
        end_other_sessions(session, user.id, reason="disabled", actor_id=actor_id)


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


def reset_second_factor(session: Session, user: User, *, actor_id: int | None = None, via: str = "cli") -> None:
    """For a lost phone: the person sets up a new code at their next sign-in.

    Every session of theirs ends too: whoever has the lost phone may be signed in with it.
    """
    assert user.id is not None
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.totp_failures = 0
    user.totp_locked_until = None
    session.add(user)
    audit.record(session, "auth.totp_reset", area_id=None, actor_id=actor_id, subject_type="user", subject_id=user.id, via=via)
    end_other_sessions(session, user.id, reason="totp_reset", actor_id=actor_id)


# --- Single sign-on (OpenID Connect) ------------------------------------------------------------


class SsoRefusal(StrEnum):
    """Why a person coming back from their organisation's sign-in was not let in."""

    STATE = "oidc_state"
    BROWSER = "oidc_browser"
    PROVIDER = "oidc_provider"
    ISSUER = "oidc_issuer"
    TOKEN = "oidc_token"  # noqa: S105  (a reason code, not a credential)
    EXPIRED = "oidc_expired"
    EMAIL_UNVERIFIED = "oidc_email_unverified"
    DOMAIN = "oidc_domain"
    NO_ROLE = "oidc_no_role"
    INACTIVE = "oidc_inactive"


def oidc_config(session: Session, area_id: int) -> AreaOidcConfig | None:
    return session.exec(select(AreaOidcConfig).where(AreaOidcConfig.area_id == area_id)).first()


def oidc_config_by_slug(session: Session, slug: str) -> tuple[Area, AreaOidcConfig] | None:
    """The area and its enabled single sign-on, or None."""
    query = select(Area, AreaOidcConfig).join(AreaOidcConfig, col(AreaOidcConfig.area_id) == col(Area.id))
    row = session.exec(query.where(Area.slug == slug, col(AreaOidcConfig.enabled).is_(True))).first()
    return (row[0], row[1]) if row else None


def areas_with_sso(session: Session) -> list[tuple[Area, AreaOidcConfig]]:
    query = select(Area, AreaOidcConfig).join(AreaOidcConfig, col(AreaOidcConfig.area_id) == col(Area.id))
    rows = session.exec(query.where(col(AreaOidcConfig.enabled).is_(True)).order_by(col(Area.name))).all()
    return [(area, config) for area, config in rows]


def domains_claimed_elsewhere(session: Session, config: AreaOidcConfig) -> list[str]:
    """Domains in this area's settings that another area's sign-in owns (settings saved before
    domains were exclusive); people at them cannot sign in here."""
    return [domain for domain in config.domain_list if domain_owner(session, domain) != config.area_id]


def domain_owner(session: Session, domain: str) -> int | None:
    """The id of the area whose single sign-on lets in this email domain, if any."""
    found = session.get(OidcDomain, domain.strip().lower())
    return found.area_id if found else None


def claim_domains(session: Session, area_id: int, domains: list[str]) -> None:
    """Makes `domains` exactly this area's claimed domains, or raises DomainTaken.

    The check gives the plain message; the primary key on the domain is what holds when two
    areas save at the same moment.
    """
    taken = session.exec(
        select(OidcDomain.domain).where(col(OidcDomain.domain).in_(domains), col(OidcDomain.area_id) != area_id)
    ).all()
    if taken:
        raise DomainTaken(sorted(taken))
    session.exec(delete(OidcDomain).where(col(OidcDomain.area_id) == area_id, col(OidcDomain.domain).not_in(domains)))
    mine = set(session.exec(select(OidcDomain.domain).where(col(OidcDomain.area_id) == area_id)).all())
    try:
        with session.begin_nested():
            for domain in domains:
                if domain not in mine:
                    session.add(OidcDomain(domain=domain, area_id=area_id))
    except IntegrityError:
        raise DomainTaken([d for d in domains if d not in mine]) from None


def save_oidc_config(session: Session, area: Area, values: dict[str, object], *, actor_id: int | None) -> AreaOidcConfig:
    """Creates or updates the area's single sign-on. An empty client secret keeps the saved one.

    Raises DomainTaken, saving nothing, when another area's sign-in already lets in one of the
    email domains.
    """
    assert area.id is not None
    config = oidc_config(session, area.id) or AreaOidcConfig(area_id=area.id, issuer="", client_id="")
    before = _config_summary(config) if config.id else None
    secret = values.pop("client_secret", "")
    for name, value in values.items():
        setattr(config, name, value)
    if secret:
        config.client_secret = str(secret)
    config.updated_at = utcnow()
    claim_domains(session, area.id, config.domain_list)
    session.add(config)
    # The audit keeps what changed, never the secret itself: only whether it was replaced.
    audit.record(
        session, "sso.configured", area_id=area.id, actor_id=actor_id, subject_type="area", subject_id=area.id,
        before=before, after=_config_summary(config), secret_replaced=bool(secret),
    )
    return config


def _config_summary(config: AreaOidcConfig) -> dict[str, object]:
    return {
        "enabled": config.enabled, "issuer": config.issuer, "client_id": config.client_id,
        "scopes": config.scopes, "allowed_domains": config.allowed_domains,
        "groups_claim": config.groups_claim, "role_mapping": config.role_mapping,
    }


def record_oidc_attempt(
    session: Session, *, area: Area, state: str, browser_token: str, nonce: str, code_verifier: str, next_path: str,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    assert area.id is not None
    # Attempts nobody came back from are useless after their lifetime; clear them as we go.
    session.exec(delete(OidcLoginAttempt).where(col(OidcLoginAttempt.created_at) < now - OIDC_ATTEMPT_LIFETIME))
    session.add(
        OidcLoginAttempt(
            state_hash=_token_hash(state), browser_hash=_token_hash(browser_token), area_id=area.id,
            nonce=nonce, code_verifier=code_verifier, next_path=next_path, created_at=now,
        )
    )


def take_oidc_attempt(
    session: Session, state: str, browser_token: str, *, now: datetime | None = None
) -> tuple[OidcLoginAttempt | None, SsoRefusal | None]:
    """The attempt this state belongs to, removed so it can never be used again.

    Refuses a state that is unknown, already used or too old (STATE), and one carried to a browser
    other than the one that started the sign-in (BROWSER). Either way the attempt is gone.
    """
    now = now or utcnow()
    attempt = session.exec(select(OidcLoginAttempt).where(OidcLoginAttempt.state_hash == _token_hash(state))).first()
    if attempt is None:
        return None, SsoRefusal.STATE
    removed = session.exec(delete(OidcLoginAttempt).where(col(OidcLoginAttempt.id) == attempt.id))
    if removed.rowcount != 1 or now - attempt.created_at > OIDC_ATTEMPT_LIFETIME:
        return None, SsoRefusal.STATE
    if not browser_token or not secrets.compare_digest(attempt.browser_hash, _token_hash(browser_token)):
        return attempt, SsoRefusal.BROWSER
    return attempt, None


def roles_from_groups(config: AreaOidcConfig, groups: list[str]) -> list[str]:
    valid = {role.value for role in Role}
    roles: set[str] = set()
    for group in groups:
        for role in config.role_mapping.get(group, []):
            if role in valid:
                roles.add(role)
    return sorted(roles)


def groups_from_claims(claims: dict[str, object], claim_name: str) -> list[str]:
    """Groups as a list of strings, whether the provider sends a list or one string."""
    value = claims.get(claim_name)
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


@dataclass(frozen=True)
class SsoOutcome:
    user: User | None
    refusal: SsoRefusal | None = None


def sign_in_with_oidc(session: Session, area: Area, config: AreaOidcConfig, claims: dict[str, object]) -> SsoOutcome:
    """Matches or creates the staff account for verified claims, and sets its roles in this area.

    The roles come from the provider's groups at every sign-in, so a person moved out of a group
    loses the role the next time they sign in. Every refusal is audited with its reason.
    """
    assert area.id is not None
    email = normalise_email(str(claims.get("email") or ""))
    domain = email.rpartition("@")[2]
    groups = groups_from_claims(claims, config.groups_claim)
    refusal = None
    if claims.get("email_verified") is not True or "@" not in email:
        refusal = SsoRefusal.EMAIL_UNVERIFIED
    elif domain not in config.domain_list or domain_owner(session, domain) != area.id:
        # Only the area that owns the domain may let it in (settings saved before domains were
        # exclusive may still list one that another area owns).
        refusal = SsoRefusal.DOMAIN
    roles = roles_from_groups(config, groups)
    if refusal is None and not roles:
        refusal = SsoRefusal.NO_ROLE
    user = session.exec(select(User).where(User.email == email)).first() if email else None
    if refusal is None and user is not None and not user.is_active:
        refusal = SsoRefusal.INACTIVE
    if refusal is not None:
        # Groups are directory names, not personal data; the email stays out of the log.
        audit.record(
            session, "auth.sign_in_refused", area_id=area.id, subject_type="user" if user else "",
            subject_id=user.id if user else "", reason=refusal.value, method="oidc", email_domain=domain, groups=groups[:20],
        )
        return SsoOutcome(user=None, refusal=refusal)
    created = user is None
    if user is None:
        name = str(claims.get("name") or "").strip()[:120]
        user = User(email=email, display_name=name or email, organisation=config.organisation_name, password_hash=None)
        session.add(user)
        session.flush()
        audit.record(session, "account.created", area_id=area.id, subject_type="user", subject_id=user.id, roles=roles, method="oidc")
    assert user.id is not None
    # Only this area's roles: a provider speaks for its own area, never for the person's others.
    before = sorted(roles_in(session, user.id, area.id))
    if before != roles:
        session.exec(delete(Membership).where(col(Membership.user_id) == user.id, col(Membership.area_id) == area.id))
        for role in roles:
            session.add(Membership(user_id=user.id, area_id=area.id, role=role))
        if not created:
            audit.record(
                session, "account.roles_synced", area_id=area.id, subject_type="user", subject_id=user.id, before=before, after=roles
            )
        if set(before) - set(roles):
            # A role taken away at the organisation ends the person's other sessions in this area.
            end_other_sessions(session, user.id, reason="role_removed", area_id=area.id)
    user.last_sign_in_at = utcnow()
    session.add(user)
    session.flush()
    return SsoOutcome(user=user)


def refuse_sso(session: Session, area_id: int | None, refusal: SsoRefusal) -> None:
    """Audits a refusal that happened before we knew who the person was."""
    audit.record(session, "auth.sign_in_refused", area_id=area_id, reason=refusal.value, method="oidc")
