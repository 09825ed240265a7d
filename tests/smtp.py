"""A real SMTP server on loopback for tests that need to see mail (aiosmtpd), one that refuses every
recipient, and a port where nothing listens. Mail is never captured in memory by the app itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support import free_port


@dataclass
class SmtpServer:
    """What a mail server on 127.0.0.1:`port` received. `refuse` makes it answer 550 to every recipient."""

    port: int
    refuse: bool = False
    messages: list[Message] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def bodies(self) -> list[str]:
        with self._lock:
            return [str(m.get_payload()) for m in self.messages]


def _running(refuse: bool) -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port(), refuse=refuse)
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A mail server that accepts everything and keeps it for the test to read."""
    yield from _running(refuse=False)


@pytest.fixture
def refusing_smtp_server() -> Iterator[SmtpServer]:
    """A mail server that answers 550 to every recipient."""
    yield from _running(refuse=True)
