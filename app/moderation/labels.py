"""Moderators teach triage: their call on whether an entry may be a safeguarding disclosure.

Triage flags an entry "likely" or "possible" (both jump the queue) or not at all. A moderator reading
it confirms or corrects a flag, or marks an unflagged entry urgent (a disclosure triage missed), or
agrees it is not urgent. Each call is kept as one TriageLabel per report (a moderator may change their
mind; the row is updated), is in the audit log, and is what an area retrains the detector with.

Publishing or rejecting an entry nobody made the call on records it from the entry's state, so every
moderated entry leaves a label.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.i18n import lazy_gettext as _l
from app.moderation import alerts
from app.moderation.models import TriageLabel, TriageOutcome
from app.reports.models import Report

LIKELY = "likely"
POSSIBLE = "possible"
NOT_FLAGGED = "none"
FLAGGED = (LIKELY, POSSIBLE)

# What triage's reason codes mean, in words a moderator reads at a glance.
REASON_LABELS = {
    "self_harm": _l("self-harm or suicide"),
    "danger_now": _l("in danger now"),
    "threat_or_coercion": _l("threats or being made to do things"),
    "abuse": _l("abuse"),
    "sexual_exploitation": _l("sexual exploitation"),
    "criminal_exploitation": _l("criminal exploitation"),
    "triage_failed": _l("triage could not read this entry, so it was marked urgent to be safe"),
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code.replace("_", " ")))


def triage_said(report: Report, label: TriageLabel | None = None) -> str:
    """What triage said about this entry: likely, possible or none.

    Once a call is made the label keeps triage's view (a missed disclosure is urgent but was never
    flagged). Before that it is the report's graded urgency; an urgent report without one (from
    before urgency was graded, or marked urgent because triage failed) counts as likely.
    """
    if label is not None:
        return label.flagged
    return _graded(report.urgency, report.urgent)


def _graded(urgency: str, urgent: bool) -> str:
    if urgency in FLAGGED:
        return urgency
    return LIKELY if urgent else NOT_FLAGGED


def outcome_for(flagged: str, urgent: bool) -> TriageOutcome:
    if flagged in FLAGGED:
        return TriageOutcome.CONFIRMED if urgent else TriageOutcome.CORRECTED
    return TriageOutcome.MISSED if urgent else TriageOutcome.AGREED


def label_for(session: Session, report_id: int) -> TriageLabel | None:
    return session.exec(select(TriageLabel).where(TriageLabel.report_id == report_id)).first()


def make_call(session: Session, staff: StaffIdentity, report: Report, *, urgent: bool) -> TriageLabel:
    """A moderator's call: "someone may be in danger" (urgent) or "this is not urgent".

    Urgent puts the entry at the top of the queue; not urgent takes it off the top. Triage's own
    grading (report.urgency) and any alert history stay as they were. If the call is what makes the
    entry urgent, the safeguarding contacts are alerted at once, as for a new urgent report.
    """
    assert report.id is not None
    label, alerted = _apply(session, staff, report, label_for(session, report.id), urgent=urgent, implicit=False)
    session.commit()
    if alerted or urgent:
        # A new alert, or a "possible" one a moderator has just confirmed: its email goes now.
        alerts.notify_new_alert()
    return label


def record_implicit(session: Session, staff: StaffIdentity, report: Report) -> TriageLabel | None:
    """On publish or reject: if nobody made the call, record it from the entry's state (flagged and
    still urgent: confirmed; not flagged: agreed). Part of the caller's transaction."""
    assert report.id is not None
    if label_for(session, report.id) is not None:
        return None
    label, _alerted = _apply(session, staff, report, None, urgent=report.urgent, implicit=True)
    return label


def _apply(
    session: Session, staff: StaffIdentity, report: Report, label: TriageLabel | None, *, urgent: bool, implicit: bool
) -> tuple[TriageLabel, bool]:
    assert report.id is not None and staff.user.id is not None
    # Everything this call needs to know is read first; then it only writes.
    was_urgent = report.urgent
    needs_alert = urgent and not was_urgent and alerts.open_alert_for(session, report.area_id, report.id) is None
    previous = label.outcome if label else None
    if label is None:
        flagged = triage_said(report)
        fresh = TriageLabel(
            area_id=report.area_id, report_id=report.id, language=report.language, flagged=flagged,
            urgent=urgent, outcome=outcome_for(flagged, urgent), moderator_id=staff.user.id,
        )
        try:
            with session.begin_nested():
                session.add(fresh)
            label = fresh
        except IntegrityError:
            # Another moderator's call on this entry landed a moment earlier.
            label = label_for(session, report.id)
            assert label is not None
            if implicit:
                return label, False
            previous = label.outcome
    flagged = label.flagged
    outcome = outcome_for(flagged, urgent)
    label.urgent = urgent
    label.outcome = outcome
    label.moderator_id = staff.user.id
    session.add(label)
    if was_urgent != urgent:
        report.urgent = urgent
        session.add(report)
    if needs_alert:
        alerts.raise_alert(session, report)
    audit.record(
        session,
        f"triage.{outcome}",
        area_id=report.area_id,
        actor_id=staff.user.id,
        subject_type="report",
        subject_id=report.id,
        flagged=flagged,
        urgent=urgent,
        previous=previous,
        implicit=implicit,
    )
    return label, needs_alert


@dataclass(frozen=True)
class SafeguardingCall:
    """What the entry page shows in its "Safeguarding call" section."""

    flagged: str
    reasons: list[str]
    cues: list[str]
    urgent: bool
    outcome: str | None
    called_by: str | None

    @property
    def is_flagged(self) -> bool:
        return self.flagged in FLAGGED


def call_for(session: Session, report: Report) -> SafeguardingCall:
    assert report.id is not None
    label = label_for(session, report.id)
    called_by = None
    if label is not None:
        moderator = session.get(User, label.moderator_id)
        called_by = moderator.display_name if moderator else None
    flagged = triage_said(report, label)
    return SafeguardingCall(
        flagged=flagged,
        reasons=[reason_label(code) for code in report.urgent_reasons.split(",") if code] if flagged in FLAGGED else [],
        cues=[str(cue) for cue in report.urgent_cues or []],
        urgent=report.urgent,
        outcome=label.outcome if label else None,
        called_by=called_by,
    )


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def _public_text(report: Report) -> str:
    parts = [(report.public_description or "").strip(), (report.public_what_would_help or "").strip()]
    return "\n".join(part for part in parts if part)


def export_labels(session: Session, area_id: int, area_slug: str, out: TextIO, *, via: str = "cli") -> int:
    """Write the area's labels as JSON lines for retraining; returns how many were written.

    The text is the redacted public text only, never the reporter's own words. Labels whose report
    has gone (withdrawn and deleted), was withdrawn and kept for safeguarding, or never had public
    text written are left out. The `text`, `urgent` and `lang` keys are those of the training data.
    """
    query = (
        select(TriageLabel, Report)
        .join(Report, col(Report.id) == col(TriageLabel.report_id))
        .where(
            TriageLabel.area_id == area_id,
            Report.area_id == area_id,
            col(Report.withdrawn_at).is_(None),
        )
        .order_by(col(TriageLabel.report_id))
    )
    written = 0
    for label, report in session.exec(query).all():
        text = _public_text(report)
        if not text:
            continue
        row = {
            "id": f"{area_slug}-{report.id}",
            "text": text,
            "urgent": label.urgent,
            "flagged": label.flagged,
            "outcome": label.outcome,
            "lang": label.language,
            "month": _month(report.created_at),
        }
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        written += 1
    audit.record(session, "triage.labels_exported", area_id=area_id, count=written, via=via)
    session.commit()
    return written


@dataclass
class TriageStats:
    """One row of the triage page: entries in one language in one month, and the moderators' calls."""

    language: str
    month: str
    entries: int = 0
    likely: int = 0
    possible: int = 0
    confirmed: int = 0
    corrected: int = 0
    missed: int = 0
    agreed: int = 0

    @property
    def flagged(self) -> int:
        return self.likely + self.possible

    @property
    def confirmed_share(self) -> float | None:
        """Of the flagged entries a moderator has called, the share they confirmed."""
        called = self.confirmed + self.corrected
        return self.confirmed / called if called else None

    @property
    def missed_per_100(self) -> float | None:
        return 100 * self.missed / self.entries if self.entries else None

    def add(self, other: TriageStats) -> None:
        for name in ("entries", "likely", "possible", "confirmed", "corrected", "missed", "agreed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def stats(session: Session, area_id: int) -> Sequence[TriageStats]:
    """Per language and month (of the entry), newest month first.

    Entries and flags count the area's reports; the calls count its labels, including those whose
    report has since been withdrawn (their month is the month of the call).
    """
    rows: dict[tuple[str, str], TriageStats] = {}

    def row(language: str, month: str) -> TriageStats:
        return rows.setdefault((language, month), TriageStats(language, month))

    labels = {label.report_id: label for label in session.exec(select(TriageLabel).where(TriageLabel.area_id == area_id)).all()}
    report_months: dict[int, str] = {}
    # Only the columns counted here, never the words.
    reports = session.execute(
        sa_select(col(Report.id), col(Report.language), col(Report.created_at), col(Report.urgency), col(Report.urgent))
        .where(col(Report.area_id) == area_id)
    ).all()
    for report_id, language, created_at, urgency, urgent in reports:
        month = _month(created_at)
        report_months[report_id] = month
        entry = row(language, month)
        entry.entries += 1
        label = labels.get(report_id)
        said = label.flagged if label else _graded(urgency, urgent)
        if said == LIKELY:
            entry.likely += 1
        elif said == POSSIBLE:
            entry.possible += 1
    for report_id, label in labels.items():
        entry = row(label.language, report_months.get(report_id) or _month(label.created_at))
        if label.outcome in {o.value for o in TriageOutcome}:
            setattr(entry, label.outcome, getattr(entry, label.outcome) + 1)
    return sorted(rows.values(), key=lambda r: (-int(r.month.replace("-", "")), r.language))


def totals(rows: Sequence[TriageStats]) -> TriageStats:
    total = TriageStats("", "")
    for item in rows:
        total.add(item)
    return total
