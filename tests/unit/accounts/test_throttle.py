"""The sign-in throttle: separate buckets, a moving window, hashed keys, and Redis failing open."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import limits.storage.memory
import pytest

from app.accounts import throttle
from app.accounts.throttle import SignInThrottle, Step
from tests.support import free_port

SECRET = "test-secret-key-that-is-long-enough-to-pass-the-check"


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Moves the in-memory store's clock on, as if `seconds` had passed."""
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=lambda: time.time() + seconds))
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: time.time() + seconds, monotonic=time.monotonic))


def test_each_step_has_its_own_bucket_per_connection() -> None:
    limiter = SignInThrottle(SECRET)
    for _ in range(30):
        limiter.count_address(Step.PASSWORD, "198.51.100.7")
    assert limiter.address_wait(Step.PASSWORD, "198.51.100.7") > 14 * 60
    assert limiter.address_wait(Step.CODE, "198.51.100.7") == 0
    assert limiter.address_wait(Step.SSO_START, "198.51.100.7") == 0
    assert limiter.address_wait(Step.PASSWORD, "198.51.100.8") == 0


def test_accounts_and_connections_are_counted_apart() -> None:
    limiter = SignInThrottle(SECRET)
    for _ in range(4):
        limiter.count_wrong_password("sam@council.example")
    assert not limiter.account_paused("sam@council.example")
    limiter.count_wrong_password("sam@council.example")
    assert limiter.account_paused("sam@council.example")
    assert not limiter.account_paused("priya@council.example")
    assert limiter.address_wait(Step.PASSWORD, "198.51.100.7") == 0
    limiter.clear_account("sam@council.example")
    assert not limiter.account_paused("sam@council.example")


def test_the_window_moves_so_old_tries_stop_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = SignInThrottle(SECRET)
    for _ in range(5):
        limiter.count_wrong_password("sam@council.example")
    assert limiter.account_paused("sam@council.example")
    _later(monkeypatch, 15 * 60 + 1)
    assert not limiter.account_paused("sam@council.example")


def test_a_paused_account_gets_one_try_per_connection_per_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = SignInThrottle(SECRET)
    assert limiter.take_paused_try("sam@council.example", "198.51.100.7") == 0
    wait = limiter.take_paused_try("sam@council.example", "198.51.100.7")
    assert 0 < wait <= 60
    # Someone else's connection is not held up by this one.
    assert limiter.take_paused_try("sam@council.example", "203.0.113.9") == 0
    _later(monkeypatch, 61)
    assert limiter.take_paused_try("sam@council.example", "198.51.100.7") == 0


def test_the_store_holds_keyed_hashes_never_emails_or_addresses() -> None:
    limiter = SignInThrottle(SECRET)
    limiter.count_wrong_password("sam@council.example")
    limiter.count_address(Step.PASSWORD, "198.51.100.7")
    stored = " ".join(limiter._memory.storage.events)  # type: ignore[attr-defined]
    assert stored and "sam" not in stored and "198.51.100.7" not in stored and "council" not in stored


def test_redis_errors_fail_open_to_counting_in_memory(caplog: pytest.LogCaptureFixture) -> None:
    # Nothing listens on this loopback port: every Redis call fails at once.
    limiter = SignInThrottle(SECRET, f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING, logger="safetymap.accounts.throttle"):
        assert limiter.address_wait(Step.PASSWORD, "198.51.100.7") == 0
        for _ in range(5):
            limiter.count_wrong_password("sam@council.example")
        # Still limited, in this process, while Redis is away.
        assert limiter.account_paused("sam@council.example")
    warnings = [r for r in caplog.records if "Redis is not answering" in r.getMessage()]
    assert len(warnings) == 1
    assert "sam" not in caplog.text and "198.51.100.7" not in caplog.text


def test_minutes_to_wait_are_whole_and_never_zero() -> None:
    assert throttle.minutes(1) == 1
    assert throttle.minutes(60) == 1
    assert throttle.minutes(61) == 2
    assert throttle.minutes(900) == 15
