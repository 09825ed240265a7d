from __future__ import annotations

import redis

from app.core.ratelimit import MemoryRateLimiter, RedisRateLimiter, client_key


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
