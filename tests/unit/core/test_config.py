from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[3]


def test_bad_setting_stops_start_up_with_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAFETYMAP_SMTP_PORT", "not-a-number")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("SAFETYMAP_SMTP_PORT:")
    assert "\n" not in message


def test_production_refuses_a_placeholder_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAFETYMAP_ENV", "production")
    monkeypatch.setenv("SAFETYMAP_SECRET_KEY", "change-me")
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings()


def test_development_generates_and_keeps_a_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SAFETYMAP_SECRET_KEY", raising=False)
    first = load_settings().secret_key.get_secret_value()
    second = load_settings().secret_key.get_secret_value()
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg_3() -> None:
    settings = Settings(database_url="postgres://u@h/db")
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"SAFETYMAP_[A-Z_]+", readme))
    for name in Settings.model_fields:
        assert f"SAFETYMAP_{name.upper()}" in documented, f"SAFETYMAP_{name.upper()} is not in README.md"
