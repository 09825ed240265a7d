"""A fault in triage never loses a report: it is stored and put in front of a person as urgent."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import Session

from app.moderation import triage
from app.reports import service
from tests.factories import make_area, make_report


def test_triage_fault_keeps_the_report_and_marks_it_urgent(session: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    area = make_area(session)

    def broken(text: str, **_: object) -> object:
        raise KeyError(text)  # the message would quote the words: it must not reach the log

    monkeypatch.setattr(triage, "triage", broken)
    report = make_report(session, area, description="Private words about the bus stop.")
    assert report.id is not None and report.urgent
    assert service.TRIAGE_FAILED in report.urgent_reasons
    assert "Private words" not in caplog.text
    assert any(r.levelno == logging.ERROR for r in caplog.records)
