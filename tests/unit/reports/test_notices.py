"""The rules of the reporter's optional "something changed" email: which addresses are taken, how
they are sealed, what counts as news (what /track would show differently, and nothing the reporter
did themselves), what the email says, and a round that fails never stops the loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session

from app.accounts.service import StaffIdentity
from app.areas.lookup import load_area_data
from app.areas.models import Area
from app.core import i18n
from app.core.db import Database
from app.core.mail import NoMailServer
from app.core.types import utcnow
from app.register import actions
from app.reports import notices, questions
from app.reports.models import Report
from app.reports.notice_models import ReporterNotice
from tests.factories import make_area, make_context, make_published, make_report, make_staff
from tests.support import run_in_own_loop

SECRET = "a-secret-key-that-is-long-enough-for-the-tests"


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A plain session, as a request has (the shared test session ends transactions between reads)."""
    with Session(db.engine, expire_on_commit=False) as plain:
        yield plain


def _staff(session: Session, area: Area) -> StaffIdentity:
    user = make_staff(session, area, "moderator", "statutory")
    return StaffIdentity(user=user, area=area, roles=frozenset({"moderator", "statutory"}), session_id=0)


def _shown(session: Session, report: Report) -> str:
    fresh = session.get(Report, report.id)
    assert fresh is not None
    session.refresh(fresh)
    return notices.fingerprint(notices.what_track_shows(session, fresh))


# --- Addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["sam@example.org", "  sam.young+news@mail.example.co.uk ", "o'neill@example.ie", "zoë@exämple.de"]
)
def test_ordinary_addresses_are_taken_as_typed_without_the_spaces_around(typed: str) -> None:
    assert notices.clean_address(typed) == typed.strip()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "address_empty"),
        ("   ", "address_empty"),
        ("sam", "address_invalid"),
        ("sam@example", "address_invalid"),
        ("sam@@example.org", "address_invalid"),
        ("sam young@example.org", "address_invalid"),
        ("sam@example.org, other@example.org", "address_invalid"),
        ("sam@example.org\r\nBcc: other@example.org", "address_invalid"),
        ("<sam@example.org>", "address_invalid"),
        (".sam@example.org", "address_invalid"),
        ("sam..young@example.org", "address_invalid"),
        ("sam@-example.org", "address_invalid"),
        ("s" * 250 + "@example.org", "address_too_long"),
    ],
)
def test_slips_and_second_addresses_are_refused_with_a_reason(typed: str, code: str) -> None:
    with pytest.raises(notices.NoticeError) as refused:
        notices.clean_address(typed)
    assert refused.value.code == code


def test_a_sealed_address_opens_only_with_the_same_key() -> None:
    box = notices.AddressBox(SECRET)
    sealed = box.seal("sam@example.org", "stop-token")
    assert "sam@example.org" not in sealed
    assert box.seal("sam@example.org", "stop-token") != sealed  # never the same twice
    assert box.open(sealed) == ("sam@example.org", "stop-token")
    assert notices.AddressBox(SECRET).open(sealed) == ("sam@example.org", "stop-token")
    with pytest.raises(notices.NoticeError):
        notices.AddressBox("another-secret-key-entirely").open(sealed)
    with pytest.raises(notices.NoticeError):
        box.open("not a sealed address")


# --- What counts as news -------------------------------------------------------------------------


def test_what_the_reporter_would_see_change_is_news(session: Session) -> None:
    area = make_area(session)
    staff = _staff(session, area)
    context = make_context(session, area)
    report = make_report(session, area)
    seen = {_shown(session, report)}

    def changed() -> bool:
        now = _shown(session, report)
        new = now not in seen
        seen.add(now)
        return new

    question = questions.ask(session, staff, report, "Which end of the park was it?")
    assert changed(), "a question was asked"
    known = load_area_data(session, area)
    fresh = session.get(Report, report.id)
    assert fresh is not None and question.id is not None
    questions.answer(session, fresh, question.id, "By the pond", questions.grade_answer("By the pond", known))
    assert not changed(), "their own answer is not news"
    questions.set_aside_answer(session, staff, fresh, question.id)
    assert changed(), "someone read their answer"

    fresh.status, fresh.context_id = "published", context.id
    session.add(fresh)
    session.commit()
    assert changed(), "published"
    action = actions.record_action(
        session, staff, context,
        actions.ActionInput(title="Lights", owner_organisation="Council", response_type="environment", status="planned", due_date=None),
    )
    assert not changed(), "an action nobody has published is not on /track"
    actions.publish_action(session, staff, action, "New lights on the path.")
    assert changed(), "you said, we did"
    actions.publish_action(session, staff, action, "New lights on the path, and they work now.")
    assert changed(), "its words changed"
    context.status = "closed"
    session.add(context)
    session.commit()
    assert changed(), "the context closed"


def test_what_only_staff_see_is_not_news(session: Session) -> None:
    area = make_area(session)
    context = make_context(session, area)
    report = make_published(session, area, context)
    before = _shown(session, report)
    fresh = session.get(Report, report.id)
    assert fresh is not None
    fresh.public_description = "Older people hang around here after dark."
    fresh.urgent_reasons, fresh.first_opened_at = "model", utcnow()
    context.status, context.strengths = "assessing", "A youth club nearby."
    session.add_all([fresh, context])
    session.commit()
    assert _shown(session, report) == before


def test_a_rejection_is_final_and_its_reason_is_news(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    assert not notices.is_final(report, closed=False)
    before = _shown(session, report)
    report.status, report.rejection_reason = "rejected", "spam"
    session.add(report)
    session.commit()
    spam = _shown(session, report)
    assert spam != before and notices.is_final(report, closed=False)
    report.rejection_reason = "duplicate"
    session.add(report)
    session.commit()
    assert _shown(session, report) != spam


def test_a_closed_report_cannot_be_asked_about(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    report.status = "rejected"
    session.add(report)
    session.commit()
    with pytest.raises(notices.NoticeError) as refused:
        notices.ask_to_be_told(session, notices.AddressBox(SECRET), report, "sam@example.org", "en")
    assert refused.value.code == "closed"
    assert session.get(ReporterNotice, 1) is None


def test_asking_again_replaces_the_address_and_the_stop_token(session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    box = notices.AddressBox(SECRET)
    notices.ask_to_be_told(session, box, report, "first@example.org", "en", now=utcnow() - timedelta(days=200))
    first = notices.notice_for(session, report.id or 0)
    assert first is not None
    old_token = box.open(first.sealed)[1]
    notices.ask_to_be_told(session, box, report, "second@example.org", "cy")
    session.expire_all()
    second = notices.notice_for(session, report.id or 0)
    assert second is not None and second.id == first.id
    address, token = box.open(second.sealed)
    assert address == "second@example.org" and second.locale == "cy"
    assert token != old_token and not notices.stop_link_works(session, area.id or 0, old_token)
    assert second.created_at > utcnow() - timedelta(minutes=1)  # its own twelve months


# --- The email -----------------------------------------------------------------------------------


def test_the_email_says_there_is_news_and_how_to_stop_and_nothing_else() -> None:
    i18n.set_locale("cy")
    mail = notices.compose("sam@example.org", "en", base_url="https://map.example/", stop_token="TOKEN", final=False)
    assert i18n.get_locale() == "cy"  # the reader's language is put back
    assert mail.to == ("sam@example.org",)
    assert mail.subject == "Safety Map: there is news about what you told us"
    assert "https://map.example/track\n" in mail.body
    assert "https://map.example/track/notices/stop/TOKEN" in mail.body
    assert "<" not in mail.body and "http" not in mail.subject
    last = notices.compose("sam@example.org", "en", base_url="https://map.example", stop_token="TOKEN", final=True)
    assert "this is the last email" in last.body and "TOKEN" not in last.body


def test_without_a_mail_server_the_news_waits(session: Session, db: Database) -> None:
    area = make_area(session)
    report = make_report(session, area)
    notices.ask_to_be_told(session, notices.AddressBox(SECRET), report, "sam@example.org", "en")
    questions.ask(session, _staff(session, area), report, "Which end of the park was it?")
    result = notices.run_notices(db, NoMailServer(), base_url="http://testserver", secret_key=SECRET)
    assert result.retrying == 1 and result.sent == 0
    stored = notices.notice_for(session, report.id or 0)
    assert stored is not None and stored.last_sent_at is None


def test_a_failing_round_never_stops_the_loop_and_logs_no_message(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rounds: list[int] = []

    def failing(*args: object, **kwargs: object) -> None:
        rounds.append(1)
        raise RuntimeError("could quote sam@example.org")

    monkeypatch.setattr(notices, "run_notices", failing)
    caplog.set_level(logging.ERROR, logger="safetymap.notices")

    async def run() -> None:
        loop = notices.NoticeLoop(db, NoMailServer(), base_url="http://testserver", secret_key=SECRET, interval=0.01)
        loop.start()
        for _ in range(200):
            if len(rounds) >= 2:
                break
            await asyncio.sleep(0.01)
        await loop.stop()

    run_in_own_loop(run())
    assert len(rounds) >= 2
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "RuntimeError" in logged and "sam@example.org" not in logged
