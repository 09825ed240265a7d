"""Settings: one pydantic-settings object, read from SAFETYMAP_* environment variables.

Every field is documented here and in the README (a test keeps the two in step). A bad value stops
start-up with one line that names the setting, rather than a traceback.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EXAMPLE_SECRETS = {"", "change-me", "changeme", "secret", "dev", "development"}


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message is one line a newcomer can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFETYMAP_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", description="development, test or production; production refuses unsafe defaults."
    )
    data_dir: Path = Field(Path("var"), description="Folder for the SQLite file, the generated secret key and backups.")
    database_url: str = Field(
        "", description="SQLite path or URL, or a PostgreSQL URL. Default: a SQLite file in DATA_DIR."
    )
    secret_key: SecretStr = Field(
        SecretStr(""), description="Signs sessions and CSRF tokens. Generated into DATA_DIR on first run when unset."
    )
    redis_url: str | None = Field(None, description="Turns on Redis for rate limits and live fan-out across app servers.")
    base_url: str = Field("http://127.0.0.1:8000", description="Public address, used in email links and cookie security.")
    smtp_host: str | None = Field(None, description="Mail server for safeguarding alerts; unset keeps mail in the outbox table.")
    smtp_port: int = Field(25, ge=1, le=65535, description="Mail server port.")
    smtp_username: str | None = Field(None, description="Mail server user name, if it needs one.")
    smtp_password: SecretStr | None = Field(None, description="Mail server password, if it needs one.")
    smtp_starttls: bool = Field(False, description="Use STARTTLS with the mail server.")
    mail_from: str = Field("safety-map@localhost", description="From address on emails the platform sends.")
    default_area: str = Field("", description="Slug of the area the public pages serve. Default: the first area.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxy addresses whose X-Forwarded-For is believed for rate limits (JSON list).",
    )
    session_idle_minutes: int = Field(30, ge=1, description="Staff session ends after this long without a request.")
    session_absolute_hours: int = Field(12, ge=1, description="Staff session ends this long after sign-in, whatever happens.")
    report_rate_limit: int = Field(10, ge=1, description="Reports one client may send per hour.")
    log_level: str = Field("INFO", description="Python log level.")
    alert_resend_minutes: int = Field(
        30, ge=1, description="Re-send a safeguarding alert nobody has acknowledged after this many minutes."
    )
    alert_loop_seconds: float = Field(
        60, ge=0, description="How often the app checks for alerts to (re-)send; 0 turns the in-app loop off (use `safetymap alerts run`)."
    )
    workshop_code_hours: int = Field(
        12, ge=1, le=168, description="A workshop's join code works for this many hours after the workshop is made."
    )
    workshop_session_minutes: int = Field(
        180, ge=5, le=1440, description="A workshop participant's phone session ends this long after joining."
    )
    workshop_heartbeat_seconds: float = Field(
        15, gt=0, le=55, description="Live walls get a heartbeat this often, and re-check the database for anything missed."
    )

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'safetymap.db'}"
        self.database_url = normalise_database_url(self.database_url)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def normalise_database_url(url: str) -> str:
    """Accept the spellings people paste (a bare path, postgres://) and pick the psycopg 3 driver."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def _ensure_secret(settings: Settings) -> None:
    value = settings.secret_key.get_secret_value()
    if value and value.lower() not in EXAMPLE_SECRETS:
        if len(value) < 32:
            raise SettingsError("SAFETYMAP_SECRET_KEY must be at least 32 characters long.")
        return
    if value and settings.env == "production":
        raise SettingsError("SAFETYMAP_SECRET_KEY is a placeholder; set a long random value in production.")
    if settings.env == "production":
        raise SettingsError("SAFETYMAP_SECRET_KEY must be set in production.")
    # Development and test: keep one generated key per data folder so sessions survive restarts.
    key_file = settings.data_dir / "secret_key"
    if key_file.exists():
        settings.secret_key = SecretStr(key_file.read_text().strip())
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(48)
    key_file.write_text(generated)
    key_file.chmod(0o600)
    settings.secret_key = SecretStr(generated)


def load_settings() -> Settings:
    """Read and check the settings; raise SettingsError with one readable line when they are wrong."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "SAFETYMAP_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"{name}: {first['msg']}") from None
    _ensure_secret(settings)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
