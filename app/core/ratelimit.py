"""Rate limits without storing who anyone is.

A client is counted under a keyed hash of its address that changes every window, so the counter
cannot be turned back into an IP address and is gone one window after it ends. In one process the
counts live in memory; with SAFETYMAP_REDIS_URL they live in Redis, shared by every app server.

The window moves: a hit counts this window's requests plus the previous window's, weighted by how
much of the previous window still lies inside the last `window_seconds` (the "sliding window
counter"). A fixed window lets a client send twice the limit across a boundary (the limit at 10:59
and again at 11:00); the moving estimate keeps any span of one window close to the limit, exactly so
when the previous window's requests were spread evenly.

Redis being down never refuses a report: the limiter falls back to counting in this process (so it
still limits, per server), says so once in the log, and tries Redis again after a short while.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from starlette.requests import Request

log = logging.getLogger("safetymap.ratelimit")

REDIS_RETRY_SECONDS = 30.0  # how long to count in memory before trying Redis again
REDIS_TIMEOUT_SECONDS = 0.5  # a send waits at most this long for a Redis that does not answer


class RateLimiter(Protocol):
    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int) -> bool:
        """Count one request; False when the client is over the limit for this window."""
        ...


def client_key(secret: str, bucket: str, client: str, window_seconds: int, now: float | None = None) -> tuple[str, int]:
    window = int((now if now is not None else time.time()) // window_seconds)
    return window_key(secret, bucket, client, window), window


def window_key(secret: str, bucket: str, client: str, window: int) -> str:
    digest = hmac.new(secret.encode(), f"{bucket}:{window}:{client}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"rl:{bucket}:{window}:{digest}"


def moving_count(current: int, previous: int, now: float, window_seconds: int) -> float:
    """This window's count plus the part of the previous window that is still inside the last span."""
    into_window = (now % window_seconds) / window_seconds
    return current + previous * (1.0 - into_window)


class MemoryRateLimiter:
    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._window: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int) -> bool:
        now = self._clock()
        key, window = client_key(self._secret, bucket, client, window_seconds, now=now)
        previous_key = window_key(self._secret, bucket, client, window - 1)
        with self._lock:
            if self._window.get(bucket) != window:
                # A new window: keep the previous window's keys (they still weigh in), forget older ones.
                keep = (f"rl:{bucket}:{window}:", f"rl:{bucket}:{window - 1}:")
                prefix = f"rl:{bucket}:"
                for old in [k for k in self._counts if k.startswith(prefix) and not k.startswith(keep)]:
                    del self._counts[old]
                self._window[bucket] = window
            self._counts[key] = self._counts.get(key, 0) + 1
            count = moving_count(self._counts[key], self._counts.get(previous_key, 0), now, window_seconds)
            return count <= limit


class RedisRateLimiter:
    """Counts in Redis; when Redis errors, counts in memory and tries Redis again later.

    Failing open to an in-process count (not to "no limit") keeps the limit roughly in place
    while Redis is away; the log says so once per outage and never names a client.
    """

    def __init__(
        self, secret: str, url: str, *, retry_seconds: float = REDIS_RETRY_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        import redis

        self._secret = secret
        self._redis = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._fallback = MemoryRateLimiter(secret)
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until: float | None = None  # while set, count in memory until this time

    @property
    def using_fallback(self) -> bool:
        return self._down_until is not None

    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int) -> bool:
        with self._lock:
            waiting = self._down_until is not None and self._clock() < self._down_until
        if waiting:
            return self._fallback.hit(bucket, client, limit=limit, window_seconds=window_seconds)
        now = time.time()
        key, window = client_key(self._secret, bucket, client, window_seconds, now=now)
        previous_key = window_key(self._secret, bucket, client, window - 1)
        try:
            pipe = self._redis.pipeline()
            pipe.incr(key)
            # Kept for a second window: the next window still weighs this one in.
            pipe.expire(key, 2 * window_seconds)
            pipe.get(previous_key)
            count, _, previous = pipe.execute()
        except self._errors as exc:
            self._went_down(exc)
            return self._fallback.hit(bucket, client, limit=limit, window_seconds=window_seconds)
        self._came_back()
        return moving_count(int(count), int(previous or 0), now, window_seconds) <= limit

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self._clock() + self._retry_seconds
        if first:
            # Once per outage: the error's type only (its text can carry the Redis address).
            log.warning(
                "rate limits: Redis is not answering (%s); counting in this process, trying Redis again every %.0fs",
                type(exc).__name__, self._retry_seconds,
            )

    def _came_back(self) -> None:
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            log.warning("rate limits: Redis answers again; counting in Redis")


def make_rate_limiter(secret: str, redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(secret, redis_url) if redis_url else MemoryRateLimiter(secret)


def app_rate_limiter(request: Request) -> RateLimiter:
    """The app's one limiter, built from settings in create_app (app.main); every limit goes through it."""
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter
