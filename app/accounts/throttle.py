"""Slowing down guessing at staff sign-in, without letting anyone lock a person out.

Two kinds of count, kept apart, each over a moving window (the `limits` package):
- per connection (client address), one bucket for each step: wrong passwords, wrong codes, and
  single sign-on starts. An office behind one address shares these, so they are generous, and
  a refusal says plainly that it is this connection that must wait;
- per account (the typed email, known or not, so the answer never tells which accounts exist),
  wrong passwords. Past the limit the account is *paused*: a password alone no longer gets
  through, however right, but the password and the six-digit code together do, one try per
  connection per short pause. Someone guessing cannot lock the real person out, and cannot
  learn that a guessed password was right without the code as well.

Keys are keyed hashes (HMAC with the app's secret) of the address or email, so the store never
holds either. Counts live in Redis when SAFETYMAP_REDIS_URL is set (shared by every app server),
in memory otherwise; when Redis errors, counting falls back to this process's memory (so the
limits still hold, per server), the log says so once, and Redis is tried again after a while.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("safetymap.accounts.throttle")

REDIS_RETRY_SECONDS = 30.0  # how long to count in memory before trying Redis again
REDIS_TIMEOUT_SECONDS = 0.5  # a sign-in waits at most this long for a Redis that does not answer

T = TypeVar("T")


class Step(StrEnum):
    PASSWORD = "password"  # noqa: S105  (a step name, not a credential)
    CODE = "code"
    SSO_START = "sso-start"


# Per connection. Wrong passwords and codes count, not right ones, so a busy office signing in at
# nine is never slowed; every single sign-on start counts (each one calls the provider).
ADDRESS_LIMITS: dict[Step, RateLimitItem] = {
    Step.PASSWORD: parse("30/15 minutes"),
    Step.CODE: parse("30/15 minutes"),
    Step.SSO_START: parse("60/15 minutes"),
}
# Per account: wrong passwords before the account is paused (needs the password and code together).
ACCOUNT_PASSWORD_LIMIT = parse("5/15 minutes")
# While paused: one password-and-code try per account per connection in this pause.
PAUSED_TRY_LIMIT = parse("1/1 minute")


def minutes(seconds: int) -> int:
    """Whole minutes to tell a person to wait, never zero."""
    return max(1, math.ceil(seconds / 60))


class SignInThrottle:
    def __init__(
        self,
        secret: str,
        redis_url: str | None = None,
        *,
        retry_seconds: float = REDIS_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = secret.encode()
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: MovingWindowRateLimiter | None = None
        if redis_url:
            storage: Storage = RedisStorage(
                redis_url, wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis = MovingWindowRateLimiter(storage)
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._redis_down_until: float | None = None
        self._lock = threading.Lock()

    # --- Storage, failing open to memory --------------------------------------------------------

    def _use(self, action: Callable[[MovingWindowRateLimiter], T]) -> T:
        if self._redis is not None:
            with self._lock:
                down = self._redis_down_until is not None and self._clock() < self._redis_down_until
            if not down:
                try:
                    result = action(self._redis)
                except StorageError:
                    with self._lock:
                        if self._redis_down_until is None:
                            # Once per outage, and never naming a client.
                            log.warning("Redis is not answering; sign-in limits count in this process for now")
                        self._redis_down_until = self._clock() + self._retry_seconds
                else:
                    with self._lock:
                        if self._redis_down_until is not None:
                            log.warning("Redis answers again; sign-in limits are shared again")
                        self._redis_down_until = None
                    return result
        return action(self._memory)

    def _key(self, kind: str, *parts: str) -> str:
        message = "\x00".join((kind, *parts)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def _wait(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str) -> int:
        """Seconds until one more try fits the window, or 0 when it fits now."""
        if limiter.test(item, key):
            return 0
        stats = limiter.get_window_stats(item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    # --- Per connection --------------------------------------------------------------------------

    def address_wait(self, step: Step, address: str) -> int:
        item, key = ADDRESS_LIMITS[step], self._key("address", step.value, address)
        return self._use(lambda limiter: self._wait(limiter, item, key))

    def count_address(self, step: Step, address: str) -> None:
        item, key = ADDRESS_LIMITS[step], self._key("address", step.value, address)
        self._use(lambda limiter: limiter.hit(item, key))

    # --- Per account -----------------------------------------------------------------------------

    def account_paused(self, email: str) -> bool:
        key = self._key("account", email)
        return self._use(lambda limiter: not limiter.test(ACCOUNT_PASSWORD_LIMIT, key))

    def count_wrong_password(self, email: str) -> None:
        key = self._key("account", email)
        self._use(lambda limiter: limiter.hit(ACCOUNT_PASSWORD_LIMIT, key))

    def clear_account(self, email: str) -> None:
        """After a full sign-in (password and code): the person is who they said."""
        key = self._key("account", email)
        self._use(lambda limiter: limiter.clear(ACCOUNT_PASSWORD_LIMIT, key))

    def take_paused_try(self, email: str, address: str) -> int:
        """For a paused account: 0 and the try is counted, or the seconds until this connection may try."""
        key = self._key("paused", email, address)

        def take(limiter: MovingWindowRateLimiter) -> int:
            if limiter.hit(PAUSED_TRY_LIMIT, key):
                return 0
            return self._wait(limiter, PAUSED_TRY_LIMIT, key)

        return self._use(take)
