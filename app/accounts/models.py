"""Staff accounts. The public never has one: reporting needs no account, name or contact detail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Role(StrEnum):
    MODERATOR = "moderator"
    STATUTORY = "statutory"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class User(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=120)
    organisation: str = Field(default="", max_length=160)
    password_hash: str | None = Field(default=None, max_length=200)
    is_active: bool = True
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Second factor for password sign-in (RFC 6238). The secret is set when enrolment starts and
    # counts only once confirmed with a code; the last used time step makes every code single use.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None)
    totp_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    totp_locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_secret and self.totp_confirmed_at)


class Membership(SQLModel, table=True):
    """A role in one area. Every staff query is scoped through these rows."""

    __tablename__ = "membership"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    area_id: int = Field(foreign_key="area.id", primary_key=True, index=True)
    role: str = Field(sa_type=String(20), primary_key=True)


class StaffSession(SQLModel, table=True):
    """Server-side half of a staff session; the cookie carries a signed random id, never data."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    # The area the person is working in now. None only between signing in and choosing, for
    # someone with roles in several areas: such a session opens no staff page until they choose.
    area_id: int | None = Field(default=None, foreign_key="area.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # "password" (with TOTP) or "oidc"; an OIDC session may end at the provider as well.
    sign_in_method: str = Field(default="password", sa_type=String(20), sa_column_kwargs={"server_default": "password"})
    provider_logout_url: str | None = Field(default=None, max_length=2000)


class AreaOidcConfig(SQLModel, table=True):
    """How one area's staff sign in with their organisation (OpenID Connect).

    The client secret is write-only: pages and logs never show it back.
    """

    __tablename__ = "area_oidc_config"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", unique=True)
    enabled: bool = True
    # Shown on the sign-in button, e.g. "Brackenford Council".
    organisation_name: str = Field(default="", max_length=160)
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=255)
    client_secret: str = Field(default="", max_length=500)
    scopes: str = Field(default="openid email profile", max_length=300)
    # Comma-separated email domains allowed to sign in, e.g. "brackenford-council.example".
    allowed_domains: str = Field(default="", max_length=1000)
    groups_claim: str = Field(default="groups", max_length=100)
    # {"efh-panel": ["statutory"], "safety-map-admins": ["admin"]}
    role_mapping: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    @property
    def domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.allowed_domains.split(",") if d.strip()]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class OidcDomain(SQLModel, table=True):
    """An email domain claimed by one area's single sign-on.

    The primary key makes the claim exclusive: two areas can never both let in the same domain, so
    one area's provider can never speak for another area's staff.
    """

    __tablename__ = "oidc_domain"

    domain: str = Field(primary_key=True, max_length=253)
    area_id: int = Field(foreign_key="area.id", index=True)


class OidcLoginAttempt(SQLModel, table=True):
    """A sign-in sent to the provider and not yet back: state, nonce and PKCE verifier, used once.

    The browser that started it holds a cookie whose hash is `browser_hash`, so a callback URL
    carried to another browser (login CSRF) is refused.
    """

    __tablename__ = "oidc_login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)
    browser_hash: str = Field(max_length=64)
    area_id: int = Field(foreign_key="area.id")
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=200)
    next_path: str = Field(default="/staff/", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
