"""Sending email. SMTP when SAFETYMAP_SMTP_HOST is set; otherwise kept in memory (development, tests).

Callers pass rendered text that never contains report words or personal data.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from app.core.config import Settings

log = logging.getLogger("safetymap.mail")


class MailError(Exception):
    """The message could not be handed to the mail server."""


@dataclass(frozen=True)
class OutgoingMail:
    to: tuple[str, ...]
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> None: ...


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, mail: OutgoingMail) -> None:
        settings = self._settings
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = ", ".join(mail.to)
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        try:
            with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=15) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_username and settings.smtp_password:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(type(exc).__name__) from exc


class MemoryMailer:
    """Keeps messages in memory. Used when no mail server is configured, so nothing is silently lost:
    the alert stays unacknowledged in the queue, and the log says mail is not configured."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self._lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> None:
        log.warning("SAFETYMAP_SMTP_HOST is not set: an email to %d recipient(s) was kept in memory", len(mail.to))
        with self._lock:
            self.sent.append(mail)


def make_mailer(settings: Settings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else MemoryMailer()
