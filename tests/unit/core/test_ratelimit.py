from __future__ import annotations

import logging

import pytest
import redis

from app.core.ratelimit import MemoryRateLimiter, RedisRateLimiter, client_key
from tests.support import free_port


def test_memory_limiter_counts_per_client() -> None:
    limiter = MemoryRateLimiter("secret")
    assert all(limiter.hit("report", "203.0.113.5", limit=3, window_seconds=3600) for _ in range(3))
    assert not limiter.hit("report", "203.0.113.5", limit=3, window_seconds=3600)
    assert limiter.hit("report", "203.0.113.6", limit=3, window_seconds=3600)


def test_keys_never_contain_the_address_and_change_every_window() -> None:
    first, _ = client_key("secret", "report", "203.0.113.5", 3600, now=0)
    later, _ = client_key("secret", "report", "203.0.113.5", 3600, now=3600)
    assert "203.0.113.5" not in first and first != later


def test_redis_limiter_shares_counts_between_app_servers() -> None:
    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    one, two = RedisRateLimiter("secret", url), RedisRateLimiter("secret", url)
    assert one.hit("test", "client", limit=2, window_seconds=60)
    assert two.hit("test", "client", limit=2, window_seconds=60)
    assert not one.hit("test", "client", limit=2, window_seconds=60)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_redis_down_falls_back_to_counting_in_memory_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = _Clock()
    limiter = RedisRateLimiter("secret", f"redis://127.0.0.1:{free_port()}/0", retry_seconds=30, clock=clock)
    with caplog.at_level(logging.WARNING, logger="safetymap.ratelimit"):
        assert all(limiter.hit("report", "203.0.113.5", limit=3, window_seconds=3600) for _ in range(3))
        assert not limiter.hit("report", "203.0.113.5", limit=3, window_seconds=3600)  # still limits
        assert limiter.hit("report", "203.0.113.6", limit=3, window_seconds=3600)
    assert limiter.using_fallback
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "counting in this process" in messages[0]
    assert "203.0.113" not in caplog.text and "127.0.0.1" not in caplog.text


def test_redis_is_tried_again_after_a_short_while(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    limiter = RedisRateLimiter("secret", f"redis://127.0.0.1:{free_port()}/0", retry_seconds=30, clock=clock)
    calls: list[int] = []
    real_pipeline = limiter._redis.pipeline

    def counting_pipeline() -> object:
        calls.append(1)
        return real_pipeline()

    monkeypatch.setattr(limiter._redis, "pipeline", counting_pipeline)
    limiter.hit("report", "client", limit=5, window_seconds=60)
    limiter.hit("report", "client", limit=5, window_seconds=60)
    assert len(calls) == 1  # the second hit did not wait on Redis again
    clock.now += 31
    limiter.hit("report", "client", limit=5, window_seconds=60)
    assert len(calls) == 2


def test_the_window_moves_so_a_boundary_does_not_double_the_limit() -> None:
    clock = _Clock()
    clock.now = 3600 * 10 + 3500  # 100 s before a fixed window would have ended
    limiter = MemoryRateLimiter("secret", clock=clock)
    assert all(limiter.hit("report", "client", limit=5, window_seconds=3600) for _ in range(5))
    clock.now = 3600 * 11 + 10  # just past the boundary: the last hour still holds those five
    assert not limiter.hit("report", "client", limit=5, window_seconds=3600)
    clock.now = 3600 * 11 + 3590  # almost a whole hour later, the old window has nearly faded out
    assert limiter.hit("report", "client", limit=5, window_seconds=3600)


def test_redis_limiter_weighs_in_the_previous_window() -> None:
    import time as real_time

    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    limiter = RedisRateLimiter("secret", url)
    window = int(real_time.time() // 60)
    previous, _ = client_key("secret", "moving", "client", 60, now=(window - 1) * 60)
    redis.Redis.from_url(url).set(previous, 10**9, ex=120)
    # A flood of requests a moment ago still count now, although the fixed window is new.
    assert not limiter.hit("moving", "client", limit=5, window_seconds=60)
