"""Rate limits without storing who anyone is.

A client is counted under a keyed hash of its address that changes every window, so the counter
cannot be turned back into an IP address and is gone when the window ends. In one process the counts
live in memory; with SAFETYMAP_REDIS_URL they live in Redis, shared by every app server.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from typing import Protocol


class RateLimiter(Protocol):
    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int) -> bool:
        """Count one request; False when the client is over the limit for this window."""
        ...


def client_key(secret: str, bucket: str, client: str, window_seconds: int, now: float | None = None) -> tuple[str, int]:
    window = int((now if now is not None else time.time()) // window_seconds)
    digest = hmac.new(secret.encode(), f"{bucket}:{window}:{client}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"rl:{bucket}:{window}:{digest}", window


class MemoryRateLimiter:
    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._counts: dict[str, int] = {}
        self._window: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int) -> bool:
        key, window = client_key(self._secret, bucket, client, window_seconds)
        with self._lock:
            if self._window.get(bucket) != window:
                # A new window: forget every old key for this bucket.
                prefix = f"rl:{bucket}:"
                for old in [k for k in self._counts if k.startswith(prefix)]:
                    del self._counts[old]
                self._window[bucket] = window
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key] <= limit


class RedisRateLimiter:
    def __init__(self, secret: str, url: str) -> None:
        import redis

        self._secret = secret
        self._redis = redis.Redis.from_url(url)

    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int) -> bool:
        key, _ = client_key(self._secret, bucket, client, window_seconds)
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_seconds)
        count, _ = pipe.execute()
        return int(count) <= limit


def make_rate_limiter(secret: str, redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(secret, redis_url) if redis_url else MemoryRateLimiter(secret)
