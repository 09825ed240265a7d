"""Single sign-on (OpenID Connect): who may sign in through an area's own provider, and with which
roles.

accounts/oidc.py talks to the provider and checks the ID token. Here the account is matched or
created by verified email within the area's allowed domains, and its roles in that area are set from
the provider's groups at every sign-in. Each email domain belongs to one area's single sign-on
(OidcDomain). A sign-in attempt (its state, nonce and code verifier) is kept with its state hashed,
used once, for OIDC_ATTEMPT_LIFETIME. A session it begins stays in that area (accounts/sessions.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.accounts.models import (
    AreaOidcConfig,
    Membership,
    OidcDomain,
    OidcLoginAttempt,
    Role,
    User,
)
from app.accounts.schemas import OidcConfigInput
from app.accounts.service import AccountError, area_by_id, normalise_email, roles_in
from app.accounts.sessions import _token_hash, end_other_sessions
from app.areas.models import Area
from app.audit import service as audit
from app.core.types import utcnow

OIDC_ATTEMPT_LIFETIME = timedelta(minutes=10)


class DomainTaken(AccountError):
    """Single sign-on settings name email domains that another area's sign-in already lets in."""

    def __init__(self, domains: list[str]) -> None:
        super().__init__(f"Another area's sign-in already lets in {', '.join(domains)}; an email domain can belong to one area only.")
        self.domains = domains


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


def save_area_settings(session: Session, area_id: int, settings: OidcConfigInput, *, actor_id: int | None) -> None:
    """What an area administrator saves on the settings page, committed. Raises DomainTaken, with
    nothing saved, when another area's sign-in already lets in one of the email domains."""
    area = area_by_id(session, area_id)
    assert area is not None
    try:
        save_oidc_config(session, area, settings.model_dump(), actor_id=actor_id)
    except DomainTaken:
        session.rollback()
        raise
    session.commit()


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
