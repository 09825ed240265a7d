"""The moderation queue and the decisions made on it.

Two moderators acting on one entry cannot both win: every decision names the version it was made
on, and the update only lands if that is still the current version.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import h3
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.service import StaffIdentity
from app.areas.models import Place
from app.areas.service import places as area_places
from app.audit import service as audit
from app.core.types import utcnow
from app.moderation import labels
from app.moderation.models import (
    Decision,
    ModerationDecision,
    RejectionReason,
    SafeguardingAlert,
    TriageLabel,
)
from app.moderation.triage import Span, apply_redactions
from app.register import counts as register_counts
from app.register import service as register
from app.register.models import Action, Context
from app.reports.models import Report, ReportStatus


class ModerationConflict(Exception):
    """Someone else changed this entry first."""


class ModerationError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class QueueFilters:
    status: str = ReportStatus.PENDING
    kind: str | None = None
    source: str | None = None
    # The language of the form the report was written on (Report.language).
    language: str | None = None


@dataclass(frozen=True)
class QueueEntry:
    report: Report
    claimed_by: str | None


def queue(session: Session, area_id: int, filters: QueueFilters, *, limit: int = 100) -> Sequence[QueueEntry]:
    """Urgent first, then oldest first: the longest-waiting disclosure is always at the top."""
    query = (
        select(Report, User.display_name)
        .join(User, col(User.id) == col(Report.claimed_by_id), isouter=True)
        .where(Report.area_id == area_id, Report.status == filters.status)
    )
    if filters.kind:
        query = query.where(Report.kind == filters.kind)
    if filters.source:
        query = query.where(Report.source == filters.source)
    if filters.language:
        query = query.where(Report.language == filters.language)
    query = query.order_by(col(Report.urgent).desc(), col(Report.created_at), col(Report.id)).limit(limit)
    return [QueueEntry(report, name) for report, name in session.exec(query).all()]


def queue_counts(session: Session, area_id: int) -> dict[str, int]:
    query = (
        select(Report.status, func.count())
        .where(Report.area_id == area_id)
        .group_by(col(Report.status))
    )
    counts: dict[str, int] = {status.value: 0 for status in ReportStatus}
    counts.update(dict(session.exec(query).all()))
    urgent = session.exec(
        select(func.count()).where(
            Report.area_id == area_id, Report.status == ReportStatus.PENDING, col(Report.urgent).is_(True)
        )
    ).one()
    counts["urgent"] = urgent
    return counts


def get_for_moderation(session: Session, area_id: int, report_id: int) -> Report | None:
    report = session.get(Report, report_id)
    return report if report and report.area_id == area_id else None


def suggested_spans(report: Report, field: str) -> list[Span]:
    return [
        Span(kind=str(s["kind"]), start=int(s["start"]), end=int(s["end"]))  # type: ignore[call-overload]
        for s in report.suggested_redactions
        if s.get("field") == field
    ]


def suggested_public_text(report: Report, field: str) -> str:
    """The raw text with every suggestion applied: where a moderator starts editing."""
    text = getattr(report, field) or ""
    return apply_redactions(text, suggested_spans(report, field))


def enforce_redactions(report: Report, field: str, public_text: str, accepted: set[int]) -> str:
    """Whatever the moderator typed, an accepted span's words never reach the public text."""
    raw = getattr(report, field) or ""
    spans = suggested_spans(report, field)
    for index, span in enumerate(spans):
        if index not in accepted:
            continue
        words = raw[span.start : span.end]
        if words and words.lower() in public_text.lower():
            public_text = apply_redactions(public_text, _occurrences(public_text, words, span.kind))
    return public_text


def _occurrences(text: str, words: str, kind: str) -> list[Span]:
    spans: list[Span] = []
    lowered, needle = text.lower(), words.lower()
    start = lowered.find(needle)
    while start != -1:
        spans.append(Span(kind=kind, start=start, end=start + len(words)))
        start = lowered.find(needle, start + len(words))
    return spans


def claim(session: Session, staff: StaffIdentity, report: Report) -> None:
    _guarded_update(session, report, report.version, claimed_by_id=staff.user.id, claimed_at=utcnow())
    audit.record(session, "report.claimed", area_id=report.area_id, actor_id=staff.user.id, subject_type="report", subject_id=report.id)
    session.commit()


def publish(
    session: Session,
    staff: StaffIdentity,
    report: Report,
    *,
    expected_version: int,
    public_description: str,
    public_what_would_help: str,
    accepted: dict[str, set[int]],
    context_id: int | None,
    new_context_name: str,
    show_on_map: bool,
) -> Context:
    if report.withdrawn_at is not None:
        # The reporter took it back; it is kept only so safeguarding can check everyone is OK.
        raise ModerationError("withdrawn_kept")
    if report.status != ReportStatus.PENDING:
        raise ModerationConflict
    description = enforce_redactions(report, "description", public_description.strip(), accepted.get("description", set()))
    helps = enforce_redactions(report, "what_would_help", public_what_would_help.strip(), accepted.get("what_would_help", set()))
    if not description:
        raise ModerationError("public_text_empty")
    context = _context_for(session, staff, report, context_id, new_context_name)
    before = {"status": report.status, "context_id": report.context_id}
    # Read before the decision's writes; a conflict below rolls it back with them.
    labels.record_implicit(session, staff, report)
    _guarded_update(
        session,
        report,
        expected_version,
        status=ReportStatus.PUBLISHED,
        public_description=description,
        public_what_would_help=helps or None,
        context_id=context.id,
        show_on_map=show_on_map,
        moderated_at=utcnow(),
    )
    _decide(session, staff, report, Decision.PUBLISH, context_id=context.id)
    register_counts.entry_published(session, report)
    audit.record(
        session,
        "report.published",
        area_id=report.area_id,
        actor_id=staff.user.id,
        subject_type="report",
        subject_id=report.id,
        before=before,
        after={"status": ReportStatus.PUBLISHED, "context_id": context.id, "show_on_map": show_on_map},
        redactions_accepted=sum(len(v) for v in accepted.values()),
        public_text_edited=description != suggested_public_text(report, "description"),
    )
    register.touch(session, context)
    session.commit()
    return context


def reject(session: Session, staff: StaffIdentity, report: Report, *, expected_version: int, reason: str) -> None:
    if reason not in {r.value for r in RejectionReason}:
        raise ModerationError("reason_missing")
    if report.status != ReportStatus.PENDING:
        raise ModerationConflict
    labels.record_implicit(session, staff, report)
    _guarded_update(
        session, report, expected_version, status=ReportStatus.REJECTED, rejection_reason=reason, moderated_at=utcnow()
    )
    _decide(session, staff, report, Decision.REJECT, reason=reason)
    audit.record(
        session,
        "report.rejected",
        area_id=report.area_id,
        actor_id=staff.user.id,
        subject_type="report",
        subject_id=report.id,
        before={"status": ReportStatus.PENDING},
        after={"status": ReportStatus.REJECTED, "reason": reason},
    )
    session.commit()


def _context_for(
    session: Session, staff: StaffIdentity, report: Report, context_id: int | None, new_name: str
) -> Context:
    if context_id:
        context = register.get_context(session, report.area_id, context_id)
        if context is None:
            raise ModerationError("context_unknown")
        return context
    name = new_name.strip()
    if not name:
        raise ModerationError("context_missing")
    return register.create_context(
        session, staff, name=name, h3_cell=report.h3_cell, place_id=report.place_id,
        kind=register.kind_for_report(report.categories),
    )


def _guarded_update(session: Session, report: Report, expected_version: int, **values: object) -> None:
    result = session.execute(
        update(Report)
        .where(col(Report.id) == report.id, col(Report.version) == expected_version)
        .values(version=expected_version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ModerationConflict
    session.refresh(report)


def _decide(session: Session, staff: StaffIdentity, report: Report, decision: Decision, **extra: object) -> None:
    assert report.id is not None and staff.user.id is not None
    session.add(
        ModerationDecision(
            report_id=report.id,
            area_id=report.area_id,
            moderator_id=staff.user.id,
            decision=decision,
            reason=extra.get("reason"),  # type: ignore[arg-type]
            context_id=extra.get("context_id"),  # type: ignore[arg-type]
        )
    )


def context_suggestions(session: Session, report: Report, *, limit: int = 8) -> list[Context]:
    """The contexts offered for this entry, most likely first (see `context_choices`)."""
    return [choice.context for choice in context_choices(session, report, limit=limit).choices]


_STOP_WORDS = {"the", "and", "near", "by", "on", "at", "in", "of", "behind", "outside", "opposite", "next", "to", "road", "street", "lane", "area", "around"}


def _place_words(session: Session, report: Report) -> list[str]:
    """Distinctive words from the chosen place's name or the reporter's own description of where."""
    text = report.location_text or ""
    if report.place_id is not None:
        place = session.get(Place, report.place_id)
        text = f"{place.name} {text}" if place else text
    words = [w.strip(".,;:'\"()").lower() for w in text.split()]
    return [w for w in dict.fromkeys(words) if len(w) > 3 and w not in _STOP_WORDS][:5]


def bulk_reject_spam(session: Session, staff: StaffIdentity, report_ids: list[int]) -> int:
    """Reject several pending entries as spam at once; urgent ones are never bulk-rejected."""
    assert staff.area.id is not None
    query = select(Report).where(
        col(Report.id).in_(report_ids),
        Report.area_id == staff.area.id,
        Report.status == ReportStatus.PENDING,
        col(Report.urgent).is_(False),
    )
    rejected = 0
    for report in session.exec(query).all():
        try:
            reject(session, staff, report, expected_version=report.version, reason=RejectionReason.SPAM)
        except ModerationConflict:
            continue
        rejected += 1
    return rejected


# --- Where the reporter said ------------------------------------------------------------------

# A named place further than this from a map pin is not "near" it.
NEAR_METRES = 1500.0


@dataclass(frozen=True)
class Where:
    """Where an entry is about, in words a moderator reads: never a bare map cell."""

    place_name: str | None  # the gazetteer place the reporter chose
    words: str  # what the reporter typed about the place
    near: str | None  # the nearest named place, when only a map point is known
    cell: str | None  # the coarse H3 cell, a technical detail
    on_map: bool  # the reporter put a point on the map


def _cell_centre(cell: str | None) -> tuple[float, float] | None:
    if not cell:
        return None
    try:
        lat, lng = h3.cell_to_latlng(cell)
    except (ValueError, h3.H3BaseException):
        return None
    return float(lat), float(lng)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(h3.great_circle_distance(a, b, unit="m"))


def _places(session: Session, area_id: int) -> dict[int, Place]:
    return {place.id: place for place in area_places(session, area_id) if place.id is not None}


def describe_where(session: Session, report: Report) -> Where:
    place = session.get(Place, report.place_id) if report.place_id is not None else None
    if place is not None and place.area_id != report.area_id:
        place = None
    near: str | None = None
    # Coarse on purpose: the cell's centre, not the reporter's own point.
    point = _cell_centre(report.h3_cell)
    if place is None and point is not None:
        distances = sorted((_metres(point, (p.lat, p.lng)), p.name) for p in _places(session, report.area_id).values())
        if distances and distances[0][0] <= NEAR_METRES:
            near = distances[0][1]
    return Where(
        place_name=place.name if place else None,
        words=report.location_text.strip(),
        near=near,
        cell=report.h3_cell,
        on_map=report.lat is not None and report.lng is not None,
    )


# --- Linking to a context ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContextChoice:
    context: Context
    me_too: bool  # the reporter said "me too" to it
    same_place: bool  # at the place, or in the map cell, the reporter chose
    metres: float | None  # how far it is from where the reporter said, when both are known


@dataclass(frozen=True)
class ContextChoices:
    choices: list[ContextChoice]
    selected_id: int | None  # the one to pre-select: "me too", else the one at the same place
    query: str  # the words searched for, as typed
    more: int  # how many more match than are shown


def context_choices(session: Session, report: Report, *, query: str = "", limit: int = 8) -> ContextChoices:
    """The area's contexts for this entry, most likely first: the one the reporter said "me too"
    to, those at the same place or in the same map cell, those named like the place, then the rest
    nearest first (by the place's or the cell's position), then those with no position by recent
    activity. `query` keeps only those whose name contains it; the pre-selected one always stays."""
    places = _places(session, report.area_id)
    contexts = session.exec(
        select(Context).where(Context.area_id == report.area_id, col(Context.merged_into_id).is_(None))
    ).all()
    chosen = report.reported_context_id
    if chosen is not None:
        # A context merged since the reporter chose it carries on as the one it was merged into.
        said = register.get_context(session, report.area_id, chosen)
        chosen = said.merged_into_id or said.id if said else None
    report_place = places.get(report.place_id) if report.place_id is not None else None
    here = (report_place.lat, report_place.lng) if report_place else _cell_centre(report.h3_cell)
    words = _place_words(session, report)

    def position(context: Context) -> tuple[float, float] | None:
        place = places.get(context.place_id) if context.place_id is not None else None
        return (place.lat, place.lng) if place else _cell_centre(context.h3_cell)

    choices: list[tuple[tuple[object, ...], ContextChoice]] = []
    for context in contexts:
        same_place = report.place_id is not None and context.place_id == report.place_id
        same_cell = report.h3_cell is not None and context.h3_cell == report.h3_cell
        there = position(context)
        metres = _metres(here, there) if here and there else None
        named = any(w in context.name.lower() for w in words)
        if context.id == chosen:
            group = 0
        elif same_place or same_cell:
            group = 1 if same_place else 2
        elif named:
            group = 3
        else:
            group = 4 if metres is not None else 5
        updated = -context.updated_at.timestamp()
        key = (group, metres if metres is not None else float("inf"), updated, context.id or 0)
        choice = ContextChoice(context, me_too=context.id == chosen, same_place=same_place or same_cell, metres=metres)
        choices.append((key, choice))
    ordered = [choice for _key, choice in sorted(choices, key=lambda item: item[0])]
    selected = next((c.context.id for c in ordered if c.me_too), None)
    if selected is None:
        selected = next((c.context.id for c in ordered if c.same_place), None)
    term = query.strip().casefold()[:80]
    if term:
        matching = [c for c in ordered if term in c.context.name.casefold() or c.context.id == selected]
    else:
        matching = ordered
    shown = matching[:limit]
    if selected is not None and all(c.context.id != selected for c in shown):
        shown = [next(c for c in matching if c.context.id == selected), *shown[: limit - 1]]
    return ContextChoices(shown, selected, query.strip()[:80], max(0, len(matching) - len(shown)))


# --- Who did what -----------------------------------------------------------------------------


class HistoryStep(StrEnum):
    RECEIVED = "received"
    FIRST_OPENED = "first_opened"
    CLAIMED = "claimed"
    CALLED_URGENT = "called_urgent"
    CALLED_NOT_URGENT = "called_not_urgent"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    PUBLISHED = "published"
    REJECTED = "rejected"


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    step: HistoryStep
    who: str | None  # the moderator's name; None for the reporter or the platform
    reason: str | None = None  # a RejectionReason code
    context_name: str | None = None


def decision_history(session: Session, report: Report) -> list[HistoryItem]:
    """What happened to an entry and who did it, oldest first, from the rows that record each step
    (every one indexed by report: the decisions, the safeguarding call, the alerts, the report)."""
    assert report.id is not None
    decisions = session.exec(
        select(ModerationDecision)
        .where(ModerationDecision.report_id == report.id, ModerationDecision.area_id == report.area_id)
        .order_by(col(ModerationDecision.created_at), col(ModerationDecision.id))
    ).all()
    label = session.exec(select(TriageLabel).where(TriageLabel.report_id == report.id, TriageLabel.area_id == report.area_id)).first()
    acknowledged = session.exec(
        select(SafeguardingAlert).where(
            SafeguardingAlert.report_id == report.id,
            SafeguardingAlert.area_id == report.area_id,
            col(SafeguardingAlert.acknowledged_at).is_not(None),
        )
    ).all()
    people = {
        *(d.moderator_id for d in decisions),
        *(a.acknowledged_by_id for a in acknowledged),
        label.moderator_id if label else None,
        report.first_opened_by_id,
        report.claimed_by_id,
    }
    people.discard(None)
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(people))).all()) if people else {}
    context_ids = {d.context_id for d in decisions if d.context_id is not None}
    contexts = dict(session.exec(select(Context.id, Context.name).where(col(Context.id).in_(context_ids))).all()) if context_ids else {}

    items = [HistoryItem(report.created_at, HistoryStep.RECEIVED, None)]
    if report.first_opened_at is not None:
        items.append(HistoryItem(report.first_opened_at, HistoryStep.FIRST_OPENED, names.get(report.first_opened_by_id)))
    if report.claimed_at is not None and report.claimed_by_id is not None:
        items.append(HistoryItem(report.claimed_at, HistoryStep.CLAIMED, names.get(report.claimed_by_id)))
    if label is not None:
        step = HistoryStep.CALLED_URGENT if label.urgent else HistoryStep.CALLED_NOT_URGENT
        items.append(HistoryItem(label.created_at, step, names.get(label.moderator_id)))
    for alert in acknowledged:
        assert alert.acknowledged_at is not None
        items.append(HistoryItem(alert.acknowledged_at, HistoryStep.ALERT_ACKNOWLEDGED, names.get(alert.acknowledged_by_id)))
    for decision in decisions:
        step = HistoryStep.PUBLISHED if decision.decision == Decision.PUBLISH else HistoryStep.REJECTED
        items.append(
            HistoryItem(
                decision.created_at, step, names.get(decision.moderator_id), reason=decision.reason,
                context_name=contexts.get(decision.context_id) if decision.context_id else None,
            )
        )
    return sorted(items, key=lambda item: item.at)


@dataclass(frozen=True)
class Outcome:
    """What a moderator just did, for the message on the page they land on."""

    report_id: int
    decision: str  # "published" or "rejected"
    context_id: int | None = None
    context_name: str | None = None
    reason: str | None = None


def outcome_of(session: Session, area_id: int, report_id: int, decision: str) -> Outcome | None:
    """The decision just made on one of this area's entries, read back from the entry itself (so
    a link can only ever confirm what really happened)."""
    report = get_for_moderation(session, area_id, report_id)
    if report is None or report.id is None:
        return None
    if decision == ReportStatus.PUBLISHED and report.status == ReportStatus.PUBLISHED:
        context = register.get_context(session, area_id, report.context_id) if report.context_id else None
        return Outcome(report.id, decision, context.id if context else None, context.name if context else None)
    if decision == ReportStatus.REJECTED and report.status == ReportStatus.REJECTED:
        return Outcome(report.id, decision, reason=report.rejection_reason)
    return None


# --- "You said, we did" drafts ----------------------------------------------------------------


@dataclass(frozen=True)
class WaitingSummary:
    action_id: int
    context_id: int
    context_name: str
    title: str
    created_at: datetime


def summaries_waiting(session: Session, area_id: int, *, limit: int = 5) -> tuple[list[WaitingSummary], int]:
    """Plain-words "You said, we did" drafts a statutory team wrote and a moderator has not yet
    checked and published (they are approved on the context's page, app.register.actions)."""
    waiting = (
        col(Action.area_id) == area_id,
        col(Action.published_at).is_(None),
        col(Action.public_summary) != "",
    )
    total = session.exec(select(func.count()).select_from(Action).where(*waiting)).one()
    rows = session.exec(
        select(Action, Context.name)
        .join(Context, col(Context.id) == col(Action.context_id))
        .where(*waiting)
        .order_by(col(Action.created_at), col(Action.id))
        .limit(limit)
    ).all()
    items = [
        WaitingSummary(action.id, action.context_id, name, action.title, action.created_at)  # type: ignore[arg-type]
        for action, name in rows
    ]
    return items, int(total or 0)


# --- The queue, live --------------------------------------------------------------------------


def latest_alert_seq(session: Session, area_id: int) -> int:
    """The area's newest safeguarding alert id: where an open queue's live stream starts.

    Every entry that becomes urgent raises one (app.moderation.alerts.raise_alert: triage at
    submission, or a moderator's "Yes, someone may be in danger"), and ids only grow, so the
    alert id is the queue's sequence number."""
    newest = session.exec(select(func.max(SafeguardingAlert.id)).where(SafeguardingAlert.area_id == area_id)).one()
    return int(newest or 0)


def alert_ids(session: Session, area_id: int, *, after: int, up_to: int) -> list[int]:
    """The area's alert ids in (after, up_to]: what a queue read at `up_to` has already seen."""
    query = select(SafeguardingAlert.id).where(
        SafeguardingAlert.area_id == area_id, col(SafeguardingAlert.id) > after, col(SafeguardingAlert.id) <= up_to
    )
    return [int(i) for i in session.exec(query).all() if i is not None]


@dataclass(frozen=True)
class UrgentArrival:
    seq: int  # the alert id
    report: Report | None  # None when the entry is no longer waiting, or the page's filters hide it
    claimed_by: str | None = None


def urgent_arrivals(
    session: Session, area_id: int, after: int, filters: QueueFilters, *, limit: int = 20, skip: Collection[int] = ()
) -> list[UrgentArrival]:
    """Alerts raised after `after` (but not those in `skip`), each with its entry when it belongs
    at the top of a queue showing these filters (waiting, urgent, matching kind, source and language)."""
    query_alerts = select(SafeguardingAlert).where(SafeguardingAlert.area_id == area_id, col(SafeguardingAlert.id) > after)
    skipped = [i for i in skip if i > after]
    if skipped:
        query_alerts = query_alerts.where(col(SafeguardingAlert.id).not_in(skipped))
    alerts_after = session.exec(query_alerts.order_by(col(SafeguardingAlert.id)).limit(limit)).all()
    if not alerts_after:
        return []
    query = (
        select(Report, User.display_name)
        .join(User, col(User.id) == col(Report.claimed_by_id), isouter=True)
        .where(
            col(Report.id).in_([a.report_id for a in alerts_after]),
            Report.area_id == area_id,
            Report.status == ReportStatus.PENDING,
            col(Report.urgent).is_(True),
        )
    )
    if filters.kind:
        query = query.where(Report.kind == filters.kind)
    if filters.source:
        query = query.where(Report.source == filters.source)
    if filters.language:
        query = query.where(Report.language == filters.language)
    # A queue showing published or rejected entries has no place for a new urgent one.
    rows = session.exec(query).all() if filters.status == ReportStatus.PENDING else []
    found = {report.id: (report, name) for report, name in rows}
    arrivals: list[UrgentArrival] = []
    shown: set[int] = set()
    for alert in alerts_after:
        assert alert.id is not None
        report, name = found.get(alert.report_id, (None, None))
        if report is not None and report.id in shown:
            report, name = None, None  # a second alert for one entry: its row is already at the top
        if report is not None and report.id is not None:
            shown.add(report.id)
        arrivals.append(UrgentArrival(alert.id, report, name))
    return arrivals
