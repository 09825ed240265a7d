"""Sending email: SMTP when SAFETYMAP_SMTP_HOST is set. Without a mail server nothing pretends to send:
`NoMailServer` refuses every message, and the outbox marks it undeliverable for people to see.

Callers pass rendered text that never contains report words or personal data.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from typing import Annotated, Protocol

from fastapi import Depends, Request

from app.core.config import Settings

log = logging.getLogger("safetymap.mail")


class MailProblem(StrEnum):
    """Why a message did not go, as a code the pages turn into words (never the server's own text)."""

    NOT_CONFIGURED = "not_configured"  # no mail server is set up
    NO_RECIPIENTS = "no_recipients"  # nobody to send it to
    REFUSED = "refused"  # the server answered, and said no
    UNREACHABLE = "unreachable"  # no answer, or the connection broke
    SIGN_IN = "sign_in"  # the server did not accept our user name and password
    INTERRUPTED = "interrupted"  # the process sending it stopped half way
    OTHER = "other"


class MailError(Exception):
    """The message could not be handed to the mail server."""

    def __init__(self, problem: MailProblem, detail: str = "") -> None:
        super().__init__(f"{problem}: {detail}" if detail else str(problem))
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class OutgoingMail:
    to: tuple[str, ...]
    subject: str
    body: str


class Mailer(Protocol):
    @property
    def configured(self) -> bool:
        """False when there is no mail server: every send raises MailError(NOT_CONFIGURED)."""
        ...

    def send(self, mail: OutgoingMail) -> tuple[str, ...]:
        """Hand the message over; returns the addresses the server refused (others accepted it).

        Raises MailError when nobody accepted it."""
        ...


def _problem(exc: Exception) -> MailProblem:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailProblem.SIGN_IN
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return MailProblem.UNREACHABLE
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | smtplib.SMTPResponseException):
        return MailProblem.REFUSED
    if isinstance(exc, OSError):
        return MailProblem.UNREACHABLE
    return MailProblem.OTHER


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return True

    def send(self, mail: OutgoingMail) -> tuple[str, ...]:
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
                refused = smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(_problem(exc), type(exc).__name__) from exc
        return tuple(sorted(refused))


class NoMailServer:
    """What runs when SAFETYMAP_SMTP_HOST is unset: refuses every message at once, so the outbox
    records it as undeliverable and the pages and /healthz say so. Nothing is kept in memory."""

    @property
    def configured(self) -> bool:
        return False

    def send(self, mail: OutgoingMail) -> tuple[str, ...]:
        raise MailError(MailProblem.NOT_CONFIGURED)


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    log.warning("SAFETYMAP_SMTP_HOST is not set: safeguarding alerts cannot be emailed (see /staff/alerts)")
    return NoMailServer()


def get_mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


MailerDep = Annotated[Mailer, Depends(get_mailer)]
