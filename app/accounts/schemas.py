"""What staff type at sign-in, and what an area administrator may type into the single sign-on
settings, checked before saving.

The forms are read as they were typed (no limits that would refuse them before a page can say what
is wrong): the sign-in answers go to accounts/sign_in.py, which says whether they match; the
settings are checked here (`check_sso_settings`), each field's message in FIELD_ERRORS.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from app.accounts.models import Role
from app.core.forms import field_messages
from app.core.i18n import lazy_gettext as _l

LOOPBACK_NAMES = {"localhost"}


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_issuer(value: str, *, allow_loopback_http: bool = False) -> str:
    """An issuer is an https URL without query or fragment. Plain http to this machine is allowed only
    when the caller says so (SAFETYMAP_ENV=test, for the test provider on loopback): otherwise an admin
    could point the server at any local port."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError("issuer_url")
    if parts.scheme == "http" and not (allow_loopback_http and is_loopback_host(parts.hostname)):
        raise ValueError("issuer_https")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("issuer_url")
    return value


def parse_role_mapping(text: str) -> dict[str, list[str]]:
    """One line per group: `group name = role, role`. Unknown roles are refused, not ignored."""
    valid = {role.value for role in Role}
    mapping: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        group, separator, roles_text = line.rpartition("=")
        group = group.strip()
        roles = [role.strip().lower() for role in roles_text.split(",") if role.strip()]
        if not separator or not group or not roles or any(role not in valid for role in roles):
            raise ValueError("role_mapping")
        mapping[group] = sorted(set(mapping.get(group, [])) | set(roles))
    return mapping


def format_role_mapping(mapping: dict[str, Any]) -> str:
    return "\n".join(f"{group} = {', '.join(roles)}" for group, roles in sorted(mapping.items()))


class OidcConfigInput(BaseModel):
    enabled: bool = True
    organisation_name: str = Field(default="", max_length=160)
    issuer: str = Field(max_length=500)
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str = Field(default="", max_length=500)
    scopes: str = Field(default="openid email profile", max_length=300)
    allowed_domains: str = Field(min_length=1, max_length=1000)
    groups_claim: str = Field(default="groups", min_length=1, max_length=100)
    role_mapping: dict[str, list[str]]

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str, info: ValidationInfo) -> str:
        context = info.context or {}
        return check_issuer(value, allow_loopback_http=bool(context.get("allow_loopback_http")))

    @field_validator("organisation_name", "client_id", "groups_claim")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: str) -> str:
        scopes = value.split()
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        return " ".join(dict.fromkeys(scopes))

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, value: str) -> str:
        domains = [d.strip().lower().lstrip("@") for d in value.replace("\n", ",").split(",") if d.strip()]
        if not domains or any("." not in d or " " in d or "@" in d for d in domains):
            raise ValueError("allowed_domains")
        return ", ".join(dict.fromkeys(domains))

    @field_validator("role_mapping")
    @classmethod
    def _mapping(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value:
            raise ValueError("role_mapping")
        return value


class PasswordForm(BaseModel):
    """The sign-in form: the password step (and the code too, for an account that is paused)."""

    model_config = ConfigDict(extra="ignore")
    email: str = ""
    password: str = ""
    code: str = ""
    next: str = "/staff/"


class CodeForm(BaseModel):
    """The six-digit code from the person's authenticator app (spaces allowed)."""

    model_config = ConfigDict(extra="ignore")
    code: str = ""


class SsoStartForm(BaseModel):
    """Signing in with your organisation: where to go afterwards."""

    model_config = ConfigDict(extra="ignore")
    next: str = "/staff/"


class AreaChoiceForm(BaseModel):
    """The area a signed-in person chooses to work in, by its slug."""

    model_config = ConfigDict(extra="ignore")
    area: str = Field(min_length=1, max_length=80)
    next: str = Field(default="/staff/", max_length=500)


FIELD_ERRORS = {
    "issuer": _l("Enter the issuer address your provider gives, starting with https://."),
    "client_id": _l("Enter the client ID your provider gave this service."),
    "client_secret": _l("The client secret is too long."),
    "allowed_domains": _l("Enter at least one email domain, like council.example, separated by commas."),
    "groups_claim": _l("Enter the name of the claim that lists a person's groups, often groups."),
    "role_mapping": _l("Write one group per line, like: efh-panel = statutory. Roles are moderator, statutory, facilitator or admin."),
    "organisation_name": _l("The organisation name is too long."),
    "scopes": _l("The scopes are too long."),
}


class SsoSettingsForm(BaseModel):
    """The single sign-on settings as the admin typed them, shown again as typed when one is wrong
    (all but the client secret, which is never sent back to the browser)."""

    model_config = ConfigDict(extra="ignore")
    enabled: bool = False
    organisation_name: str = ""
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    scopes: str = ""
    allowed_domains: str = ""
    groups_claim: str = ""
    role_mapping: str = ""

    @field_validator("enabled", mode="before")
    @classmethod
    def _ticked(cls, value: object) -> bool:
        # A ticked box sends its value (whatever it is); an unticked one sends nothing.
        return bool(value)

    def shown_again(self) -> dict[str, Any]:
        return self.model_dump(exclude={"client_secret"})


def check_sso_settings(form: SsoSettingsForm, *, allow_loopback_http: bool) -> tuple[OidcConfigInput | None, dict[str, str]]:
    """The settings to save, or None and a message for each field that is wrong."""
    errors: dict[str, str] = {}
    try:
        mapping = parse_role_mapping(form.role_mapping)
    except ValueError:
        mapping = {}
        errors["role_mapping"] = str(FIELD_ERRORS["role_mapping"])
    try:
        parsed = OidcConfigInput.model_validate(
            form.model_dump(exclude={"role_mapping"}) | {"role_mapping": mapping},
            context={"allow_loopback_http": allow_loopback_http},
        )
    except ValidationError as exc:
        return None, field_messages(exc, FIELD_ERRORS, into=errors)
    return (None, errors) if errors else (parsed, errors)
