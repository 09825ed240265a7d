"""Fan-out for live walls: "workshop N has something new", across threads, and across processes.

A notice carries only the workshop id and its event number. What changed is always read from the
database (`workshop_event`, numbered in commit order), so a notice that is lost (Redis pub/sub
drops messages for absent subscribers, a wall reconnecting after wifi trouble) loses nothing: the
stream re-reads everything after the last number it sent, on every notice and on every heartbeat.

In one process, `InProcessBroker` wakes the streams directly. With SAFETYMAP_REDIS_URL set,
`RedisBroker` also publishes to Redis, and one listener per process wakes that process's streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from app.core.config import Settings

log = logging.getLogger("safetymap.live")
CHANNEL_PREFIX = "safetymap:workshop:"
REDIS_RETRY_SECONDS = (
    30.0  # after a failed publish, walls in other processes rely on heartbeats this long
)


class Subscription:
    """One stream's doorbell. `ring` may be called from any thread; `wait` runs on the stream's loop."""

    def __init__(self, workshop_id: int) -> None:
        self.workshop_id = workshop_id
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def ring(self) -> None:
        with contextlib.suppress(RuntimeError):  # the stream's loop has already closed
            self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout: float) -> bool:
        """True when rung, False when `timeout` seconds passed quietly (time for a heartbeat)."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True


class LiveBroker(Protocol):
    def publish(self, workshop_id: int, seq: int) -> None:
        """Tell every wall of this workshop, in every process, that event `seq` is committed."""
        ...

    def subscribe(self, workshop_id: int) -> Subscription: ...

    def unsubscribe(self, subscription: Subscription) -> None: ...


class InProcessBroker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[int, set[Subscription]] = {}

    def publish(self, workshop_id: int, seq: int) -> None:
        self.ring_local(workshop_id)

    def ring_local(self, workshop_id: int) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions.get(workshop_id, ()))
        for subscription in subscriptions:
            subscription.ring()

    def subscribe(self, workshop_id: int) -> Subscription:
        subscription = Subscription(workshop_id)
        with self._lock:
            self._subscriptions.setdefault(workshop_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            group = self._subscriptions.get(subscription.workshop_id)
            if group is not None:
                group.discard(subscription)
                if not group:
                    del self._subscriptions[subscription.workshop_id]

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(group) for group in self._subscriptions.values())


class RedisBroker(InProcessBroker):
    """Publishes through Redis; one pattern subscription per process rings the local streams."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self._url = url
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._listener: asyncio.Task[None] | None = None
        self._listener_loop: asyncio.AbstractEventLoop | None = None
        self._redis_down_until: float | None = None  # set while Redis publishes are failing

    def publish(self, workshop_id: int, seq: int) -> None:
        # Ring this process's walls at once; Redis carries the notice to the other processes.
        # Called after the entry is committed, so a Redis outage can delay a wall, never lose an entry.
        self.ring_local(workshop_id)
        if self._redis_down_until is not None and time.monotonic() < self._redis_down_until:
            return  # Redis failed a moment ago: don't make every send wait for its timeout again
        try:
            self._redis.publish(f"{CHANNEL_PREFIX}{workshop_id}", str(seq))
        except Exception as exc:
            # The other processes' walls catch up at their next heartbeat, from the database.
            if self._redis_down_until is None:
                log.warning(
                    "live notices not sent through Redis (%s); walls catch up from the database",
                    type(exc).__name__,
                )
            self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
            return
        if self._redis_down_until is not None:
            self._redis_down_until = None
            log.warning("live notices go through Redis again")

    def subscribe(self, workshop_id: int) -> Subscription:
        subscription = super().subscribe(workshop_id)
        loop = asyncio.get_running_loop()
        if self._listener is None or self._listener.done() or self._listener_loop is not loop:
            self._listener_loop = loop
            self._listener = loop.create_task(self._listen())
        return subscription

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(self._url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                    delay = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        channel = message["channel"]
                        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                        workshop_id = channel.removeprefix(CHANNEL_PREFIX)
                        if workshop_id.isdigit():
                            self.ring_local(int(workshop_id))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "live listener lost Redis (%s); retrying in %.1fs", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()


def make_broker(settings: Settings) -> LiveBroker:
    return RedisBroker(settings.redis_url) if settings.redis_url else InProcessBroker()


async def get_broker(request: Request) -> LiveBroker:
    """The app's broker, built once from settings in create_app (app.main); async: it only reads app state."""
    broker: LiveBroker = request.app.state.live_broker
    return broker


LiveBrokerDep = Annotated[LiveBroker, Depends(get_broker)]


def resume_after(request: Request, after: int) -> int:
    """Where a stream starts: the Last-Event-ID a reconnecting EventSource sends back, else `after`."""
    last_event_id = request.headers.get("last-event-id", "")
    return int(last_event_id) if last_event_id.isdigit() else after


def sse_message(html: str, seq: int) -> str:
    """One server-sent event: `id` is the event number a reconnecting wall sends back as Last-Event-ID."""
    lines = html.strip().splitlines() or [""]
    return f"id: {seq}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


async def event_stream(
    broker: LiveBroker,
    workshop_id: int,
    after: int,
    load: Callable[[int, int], Sequence[Any]],
    render: Callable[[Sequence[Any]], str],
    *,
    heartbeat: float,
    seq_of: Callable[[Any], int] = lambda event: int(event.seq),
) -> AsyncIterator[str]:
    """Everything after event number `after`, then each new batch as it is committed, forever.

    The doorbell is cleared before each read, so a notice that arrives while reading rings again
    and nothing committed in between is missed; reading strictly after the last number sent means
    nothing is sent twice. The heartbeat keeps proxies from closing a quiet stream, and re-reads the
    database in case a notice went missing.
    """
    from anyio import to_thread

    subscription = broker.subscribe(workshop_id)
    last = after
    try:
        yield "retry: 2000\n\n"
        while True:
            subscription.clear()
            events = await to_thread.run_sync(load, workshop_id, last)
            if events:
                html = await to_thread.run_sync(render, events)
                last = seq_of(events[-1])
                yield sse_message(html, last)
                continue
            if not await subscription.wait(heartbeat):
                yield ": heartbeat\n\n"
    finally:
        broker.unsubscribe(subscription)
