"""Checks of the outside things /healthz reports on. Each answers quickly, whatever state it is in."""

from __future__ import annotations

REDIS_TIMEOUT_SECONDS = 0.5


def redis_status(url: str | None) -> str:
    """"not_configured" without SAFETYMAP_REDIS_URL; "ok" when a PING answers within half a second."""
    if not url:
        return "not_configured"
    import redis  # only where Redis is configured: the client library is 6 MB a worker

    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        return "ok" if client.ping() else "failing"
    except (redis.RedisError, OSError):
        return "failing"
    finally:
        client.close()
