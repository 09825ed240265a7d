"""An optional "tell me when something changes" email for the person who sent a report.

The reporter has no account, and never needs to give an address. If they choose to, they type one
on the receipt page or on /track (the receipt code in the POST body, as everywhere on /track), and
we email them when what /track shows them changes: their report was checked, someone asked them a
question, something was done about the place. The email says only that there is news and where
to look with their receipt code: never their words, the code or the place.

How we know there is news: a round (`run_notices`, from the app's `NoticeLoop` or `safetymap
notices run`) hashes the facts /track shows (`what_track_shows`, from the same functions
app.reports.track_routes.track_context reads) and compares the hash with the one from when we last
told them. So no moderation, register or question service has to remember to call us. One email a
day at most per report. A mail server that is down loses nothing: the hash only moves on once the
server has taken the email, so the next round tries again.

Privacy: the address lives in its own table (app.reports.notice_models), sealed with a key derived
from the secret key, together with the stop link's token, which is otherwise stored only as a hash.
No staff page, export, outbox row, audit event or log line carries it: staff are not told that a
reporter asked at all (it changes nothing about a decision, and that a reporter can be reached is
itself a contact detail). These emails never go through the safeguarding outbox, which staff read.
The address is deleted when the report is taken back, once the last email about a closed report has
gone, and twelve months after it was given.

Every function that reads the clock takes `now`, so tests drive it and never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import secrets
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core import i18n
from app.core.db import Database
from app.core.logs import fault_summary
from app.core.mail import Mailer, MailError, OutgoingMail
from app.core.templating import render_string
from app.core.types import utcnow
from app.register.models import Context, ContextStatus
from app.reports import questions
from app.reports import service as reports
from app.reports.models import Report, ReportStatus
from app.reports.notice_models import ReporterNotice

log = logging.getLogger("safetymap.notices")

KEEP_FOR = timedelta(days=365)  # "after 12 months", as the form promises
AT_MOST_EVERY = timedelta(days=1)  # one email a day per report, however much changes
LOOP_SECONDS = 15 * 60
ADDRESS_MAX = 254  # the longest address SMTP carries
TEMPLATE = "change_notice"
_KEY_INFO = b"safetymap reporter notice address v1"
_READ = (questions.QuestionStatus.ACCEPTED, questions.QuestionStatus.SET_ASIDE)
# One @, no spaces, commas or brackets (so one field is one address and cannot add a header),
# a dot-separated domain ending in letters. Deliberately forgiving: the reporter knows their own
# address better than a pattern does; this catches the slips people make on a phone.
_LOCAL = r"[^\s@,;:<>()\[\]\\\"]+"
_DOMAIN = r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}"
_ADDRESS = re.compile(rf"{_LOCAL}@{_DOMAIN}")


class NoticeError(ValueError):
    """An address we cannot take, or a report we cannot tell about; `code` says why (routes word it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean_address(text: str) -> str:
    address = (text or "").strip()
    if not address:
        raise NoticeError("address_empty")
    if len(address) > ADDRESS_MAX:
        raise NoticeError("address_too_long")
    local = address.rpartition("@")[0]
    if not _ADDRESS.fullmatch(address) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise NoticeError("address_invalid")
    return address


# --- Sealing the address -------------------------------------------------------------------------


class AddressBox:
    """Seals an address and its stop token with a key derived from the secret key (HKDF, Fernet).

    A copy of the database alone reads nothing; a changed secret key makes old rows unreadable,
    and the round then deletes them (a reporter is never emailed from a row we cannot check)."""

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(secret_key.encode())
        self._fernet = Fernet(urlsafe_b64encode(key))

    def seal(self, address: str, stop_token: str) -> str:
        payload = json.dumps({"to": address, "stop": stop_token}).encode()
        return self._fernet.encrypt(payload).decode()

    def open(self, sealed: str) -> tuple[str, str]:
        try:
            payload = json.loads(self._fernet.decrypt(sealed.encode()))
            return str(payload["to"]), str(payload["stop"])
        except (InvalidToken, ValueError, KeyError, TypeError):
            raise NoticeError("unreadable") from None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- What /track shows ---------------------------------------------------------------------------


def context_closed(session: Session, report: Report) -> bool:
    """The published report's context has come to the end of its cycle: nothing more is planned."""
    if report.status != ReportStatus.PUBLISHED or report.context_id is None:
        return False
    context = session.get(Context, report.context_id)
    return context is not None and context.status == ContextStatus.CLOSED


def is_final(report: Report, closed: bool) -> bool:
    """Nothing more will happen that /track could show: not published, taken back, or closed."""
    return report.status == ReportStatus.REJECTED or report.withdrawn_at is not None or closed


def what_track_shows(session: Session, report: Report) -> dict[str, object]:
    """The facts of the /track page, in no language (the words are the template's), as plain data.

    What the reporter did themselves (answering a question) is left out, so their own answer is
    never "news": a question counts when it is asked, and when someone who checks reports has read
    the answer. A context merged into another shows as the actions it then shares.
    """
    assert report.id is not None
    asked = questions.questions_for(session, report.id)
    return {
        "status": report.status,
        "withdrawn": report.withdrawn_at is not None,
        "why_not": (report.rejection_reason or "") if report.status == ReportStatus.REJECTED else "",
        "questions": [[q.id, q.status in _READ] for q in asked],
        "actions": [
            [a.id, a.public_summary, a.published_at.isoformat() if a.published_at else ""]
            for a in reports.published_actions_for(session, report)
        ],
        "closed": context_closed(session, report),
    }


def fingerprint(shown: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


# --- Asking, and stopping ------------------------------------------------------------------------


def notice_for(session: Session, report_id: int) -> ReporterNotice | None:
    return session.exec(select(ReporterNotice).where(ReporterNotice.report_id == report_id)).first()


def is_on(session: Session, report_id: int) -> bool:
    return session.exec(select(ReporterNotice.id).where(ReporterNotice.report_id == report_id)).first() is not None


def ask_to_be_told(
    session: Session, box: AddressBox, report: Report, address: str, locale: str, *, now: datetime | None = None
) -> None:
    """Keep this address to tell the reporter about changes from now on, in `locale`. Commits.

    Asking again replaces the address (one per report) and starts a new stop token, so a link in
    an email to an address that was replaced no longer stops anything."""
    address = clean_address(address)
    now = now or utcnow()
    assert report.id is not None
    current = session.get(Report, report.id)
    if current is None:
        raise NoticeError("no_report")  # taken back in another tab a moment ago
    shown = what_track_shows(session, current)
    if is_final(current, bool(shown["closed"])):
        session.rollback()
        raise NoticeError("closed")
    stop_token = secrets.token_urlsafe(16)  # 128 bits
    values: dict[str, Any] = {
        "sealed": box.seal(address, stop_token), "locale": locale[:10], "shown_hash": fingerprint(shown),
        "stop_token_hash": token_hash(stop_token),
    }
    existing = notice_for(session, report.id)
    if existing is None:
        session.add(ReporterNotice(report_id=report.id, created_at=now, **values))
    else:
        # A new address starts its own twelve months.
        session.execute(update(ReporterNotice).where(col(ReporterNotice.id) == existing.id).values(created_at=now, **values))
    try:
        session.commit()
    except IntegrityError:
        # A double tap's twin got there first: this address replaces the one it stored.
        session.rollback()
        session.execute(update(ReporterNotice).where(col(ReporterNotice.report_id) == report.id).values(created_at=now, **values))
        session.commit()


def stop_for_report(session: Session, report: Report) -> bool:
    """Stop the emails and delete the address, from /track. Commits; False if there was none."""
    result = session.execute(delete(ReporterNotice).where(col(ReporterNotice.report_id) == report.id))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _by_token(area_id: int, token: str) -> tuple[ColumnElement[bool], ...]:
    return (
        col(ReporterNotice.stop_token_hash) == token_hash(token),
        col(ReporterNotice.report_id).in_(select(Report.id).where(Report.area_id == area_id)),
    )


def stop_link_works(session: Session, area_id: int, token: str) -> bool:
    """Whether a stop link from an email still has an address to delete (in this area)."""
    return session.exec(select(ReporterNotice.id).where(*_by_token(area_id, token))).first() is not None


def stop_by_token(session: Session, area_id: int, token: str) -> bool:
    """Stop the emails from the link in one of them. Commits; False if they had already stopped."""
    result = session.execute(delete(ReporterNotice).where(*_by_token(area_id, token)))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- The round -----------------------------------------------------------------------------------


class Outcome(StrEnum):
    SENT = "sent"
    UNCHANGED = "unchanged"
    WAITING = "waiting"  # news, but we told them less than a day ago
    RETRYING = "retrying"  # the mail server did not take it: the next round tries again
    FORGOTTEN = "forgotten"  # the address is deleted
    GONE = "gone"


@dataclass
class NoticeRound:
    sent: int = 0
    unchanged: int = 0
    waiting: int = 0
    retrying: int = 0
    forgotten: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome != Outcome.GONE:
            setattr(self, outcome.value, getattr(self, outcome.value) + 1)


def compose(address: str, locale: str, *, base_url: str, stop_token: str, final: bool) -> OutgoingMail:
    """The email, in the reporter's language: that there is news and where to look, nothing else."""
    base = base_url.rstrip("/")
    context = {"track_link": f"{base}/track", "stop_link": f"{base}/track/notices/stop/{stop_token}", "final": final}
    previous = i18n.get_locale()
    try:
        i18n.set_locale(locale)
        subject = render_string(f"email/{TEMPLATE}/subject.txt", context).strip()
        body = render_string(f"email/{TEMPLATE}/body.txt", context).strip() + "\n"
    finally:
        i18n.set_locale(previous)
    return OutgoingMail(to=(address,), subject=subject, body=body)


def purge_expired(db: Database, *, now: datetime) -> int:
    """Delete every address given more than twelve months ago."""
    expired = col(ReporterNotice.created_at) <= now - KEEP_FOR
    with db.session() as session:
        if session.exec(select(ReporterNotice.id).where(expired)).first() is None:
            return 0  # no write lock for a round with nothing to delete
    with db.transaction() as session:
        return int(session.execute(delete(ReporterNotice).where(expired)).rowcount)  # type: ignore[attr-defined]


def _forget(db: Database, notice_id: int) -> Outcome:
    with db.transaction() as session:
        session.execute(delete(ReporterNotice).where(col(ReporterNotice.id) == notice_id))
    return Outcome.FORGOTTEN


def tell_one(db: Database, mailer: Mailer, box: AddressBox, notice_id: int, *, base_url: str, now: datetime) -> Outcome:
    """Email one reporter if what /track shows them changed, at most once a day.

    Looks first (no lock), claims the row with a conditional UPDATE of `last_sent_at` (so two rounds
    never send the same news twice), sends with no transaction open, and only then moves the hash
    on; if the server did not take it, the claim is undone and the next round tries again.
    """
    with db.session() as session:
        notice = session.get(ReporterNotice, notice_id)
        report = session.get(Report, notice.report_id) if notice else None
        if notice is None or report is None:
            return Outcome.GONE
        if report.withdrawn_at is not None:
            return _forget(db, notice_id)  # withdraw deletes it too; this is for a row from before
        shown = what_track_shows(session, report)
    final = is_final(report, bool(shown["closed"]))
    news = fingerprint(shown)
    if news == notice.shown_hash:
        # Nothing new. A closed report they have already been told about needs the address no more.
        return _forget(db, notice_id) if final else Outcome.UNCHANGED
    previous = notice.last_sent_at
    if previous is not None and previous > now - AT_MOST_EVERY:
        return Outcome.WAITING
    if not mailer.configured:
        return Outcome.RETRYING
    try:
        address, stop_token = box.open(notice.sealed)
    except NoticeError:
        log.warning("a reporter's notice address could not be unsealed (was the secret key changed?); it is deleted")
        return _forget(db, notice_id)

    unchanged_row = (
        col(ReporterNotice.id) == notice_id,
        col(ReporterNotice.stop_token_hash) == notice.stop_token_hash,  # not replaced meanwhile
        col(ReporterNotice.last_sent_at).is_(None) if previous is None else col(ReporterNotice.last_sent_at) == previous,
    )
    with db.transaction() as session:
        claimed = session.execute(update(ReporterNotice).where(*unchanged_row).values(last_sent_at=now))
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return Outcome.WAITING  # stopped, replaced or sent by another round a moment ago

    mail = compose(address, notice.locale, base_url=base_url, stop_token=stop_token, final=final)
    try:
        mailer.send(mail)
    except MailError as exc:
        with db.transaction() as session:
            session.execute(
                update(ReporterNotice)
                .where(col(ReporterNotice.id) == notice_id, col(ReporterNotice.last_sent_at) == now)
                .values(last_sent_at=previous)
            )
        log.warning("a reporter notice was not sent (%s); the next round tries again", exc.problem)
        return Outcome.RETRYING
    with db.transaction() as session:
        if final:
            session.execute(delete(ReporterNotice).where(col(ReporterNotice.id) == notice_id))
        else:
            session.execute(update(ReporterNotice).where(col(ReporterNotice.id) == notice_id).values(shown_hash=news))
    return Outcome.SENT


def run_notices(db: Database, mailer: Mailer, *, base_url: str, secret_key: str, now: datetime | None = None) -> NoticeRound:
    """One round: delete addresses past twelve months, then tell each reporter whose /track changed."""
    now = now or utcnow()
    box = AddressBox(secret_key)
    result = NoticeRound(forgotten=purge_expired(db, now=now))
    with db.session() as session:
        notice_ids = session.exec(select(ReporterNotice.id).order_by(col(ReporterNotice.id))).all()
    for notice_id in notice_ids:
        assert notice_id is not None
        result.count(tell_one(db, mailer, box, notice_id, base_url=base_url, now=now))
    if result.sent or result.retrying or result.forgotten:
        # Counts only: never an address, a report or a row.
        log.info(
            "reporter notices: %s sent, %s to try again, %s addresses deleted",
            result.sent, result.retrying, result.forgotten,
        )
    return result


class NoticeLoop:
    """Runs a round inside the app every `interval` seconds (beside the safeguarding alert loop)."""

    def __init__(self, db: Database, mailer: Mailer, *, base_url: str, secret_key: str, interval: float = LOOP_SECONDS) -> None:
        self.db = db
        self.mailer = mailer
        self.base_url = base_url
        self._secret_key = secret_key
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(run_notices, self.db, self.mailer, base_url=self.base_url, secret_key=self._secret_key)
            except Exception as exc:  # a database or mail outage must not stop the loop
                # The fault and where, never its message: a mail error can quote an address.
                log.error("reporter notice round failed; will try again: %s", fault_summary(exc))
            await asyncio.sleep(self.interval)
