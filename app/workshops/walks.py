"""Safety walks: a workshop whose group walks a route and rates each stop on their phones.

The parameters are the ones community safety audits use (Safetipin's): lighting, openness (can you
see around you), visibility (can others see you), people around, trusted adults nearby, public
transport nearby, and how safe it feels. Each has a short scale with words, never only numbers.

Rules worth knowing:
- The facilitator moves the group: only the current stop can be rated, once per phone (rating it
  again changes that phone's answers). Every move and every rating is a numbered workshop event,
  so phones, the console and the wall follow live and catch up after a reconnect (see live.py).
- A note is sent as an ordinary workshop entry (`entries.add_entry`): triaged for disclosures and
  personal details, checked by the facilitator and moderated like any other entry.
- When the walk ends, each rated stop becomes one entry (source "workshop") that describes its
  ratings in words; it goes through moderation into the register like the rest.
- Anything shown outside staff pages hides a stop with fewer ratings than the area's k
  (`Area.min_cell_count`), as the public map does.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from babel.support import LazyProxy
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.areas.lookup import AreaData, GazetteerPlace
from app.areas.models import Area
from app.core import i18n
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import ngettext
from app.core.live import LiveBroker
from app.core.types import utcnow
from app.reports import service as reports
from app.reports.models import Report, ReportKind, ReportSource
from app.reports.schemas import ReportCreate
from app.reports.taxonomy import FEELINGS
from app.workshops import entries
from app.workshops.events import Participation, commit_event
from app.workshops.models import WalkRating, WalkStop, Workshop, WorkshopEntry, WorkshopEventKind

STOPS_MAX = 30
NOTE_MAX = 1000


@dataclass(frozen=True)
class Parameter:
    name: str
    question: LazyProxy
    hint: LazyProxy | None
    scale: dict[int, LazyProxy]  # lowest (least safe) first

    @property
    def top(self) -> int:
        return max(self.scale)


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "lighting",
        _l("Lighting"),
        _l("Is there enough light to see clearly?"),
        {1: _l("Dark"), 2: _l("Some light"), 3: _l("Well lit")},
    ),
    Parameter(
        "openness",
        _l("Can you see around you?"),
        _l("Or are there corners, bushes or walls that block the view?"),
        {1: _l("Hard to see around"), 2: _l("Partly"), 3: _l("Easy to see all around")},
    ),
    Parameter(
        "visibility",
        _l("Can other people see you here?"),
        _l("From windows, shops, the street or passing cars."),
        {1: _l("Hidden from view"), 2: _l("Partly"), 3: _l("Easy for others to see me")},
    ),
    Parameter(
        "people",
        _l("People around"),
        None,
        {1: _l("Nobody around"), 2: _l("A few people"), 3: _l("Lots of people")},
    ),
    Parameter(
        "trusted_adults",
        _l("Trusted adults nearby"),
        _l("Like shop staff, youth workers, bus drivers or a caretaker."),
        {1: _l("None nearby"), 2: _l("Maybe"), 3: _l("Yes, close by")},
    ),
    Parameter(
        "transport",
        _l("Public transport nearby"),
        _l("A bus stop or station you could get to easily."),
        {1: _l("None nearby"), 2: _l("A walk away"), 3: _l("Close by")},
    ),
    Parameter("feeling", _l("How safe does it feel here?"), None, dict(FEELINGS)),
)
PARAMETER_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
BY_NAME = {p.name: p for p in PARAMETERS}


class WalkError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- The route ------------------------------------------------------------------------------


def parse_route(text: str, known: AreaData) -> list[tuple[str, GazetteerPlace | None]]:
    """Stops, one per line, in walking order: a gazetteer place when the name matches one (any case),
    else a point typed by name. Blank lines are skipped; a name is cut at 160 characters."""
    by_name = {place.name.casefold(): place for place in known.places}
    stops: list[tuple[str, GazetteerPlace | None]] = []
    for line in text.splitlines():
        name = " ".join(line.split())[:160]
        if not name:
            continue
        place = by_name.get(name.casefold())
        stops.append((place.name if place else name, place))
    return stops


def add_route(
    session: Session, workshop: Workshop, stops: Sequence[tuple[str, GazetteerPlace | None]]
) -> None:
    """The route of a walk being created (in the creating transaction: the caller commits)."""
    assert workshop.id is not None
    for position, (name, place) in enumerate(stops, start=1):
        session.add(
            WalkStop(
                workshop_id=workshop.id,
                position=position,
                name=name,
                place_id=place.id if place else None,
            )
        )


def stops_of(session: Session, workshop_id: int) -> list[WalkStop]:
    return list(
        session.exec(
            select(WalkStop)
            .where(WalkStop.workshop_id == workshop_id)
            .order_by(col(WalkStop.position))
        ).all()
    )


def current_stop(session: Session, workshop: Workshop) -> WalkStop | None:
    if not workshop.is_safety_walk or workshop.walk_position < 1 or workshop.ended_at is not None:
        return None
    query = select(WalkStop).where(
        WalkStop.workshop_id == workshop.id, WalkStop.position == workshop.walk_position
    )
    return session.exec(query).first()


def move_to(
    session: Session, staff: StaffIdentity, workshop: Workshop, position: int, *, live: LiveBroker
) -> None:
    """The facilitator moves the group to the stop at `position`; every phone follows live."""
    if not workshop.is_safety_walk:
        raise WalkError("not_a_walk")
    if workshop.ended_at is not None:
        raise WalkError("ended")
    assert workshop.id is not None
    total = session.exec(
        select(func.count()).select_from(WalkStop).where(WalkStop.workshop_id == workshop.id)
    ).one()
    if not 1 <= position <= total:
        raise WalkError("no_such_stop")
    if workshop.walk_position == position:
        return
    workshop.walk_position = position
    session.add(workshop)
    commit_event(
        session,
        workshop,
        WorkshopEventKind.STOP_CHANGED,
        position,
        live=live,
        audit_action="workshop.walk_moved",
        actor_id=staff.user.id,
        position=position,
    )


# --- Ratings --------------------------------------------------------------------------------


def read_scores(raw: dict[str, str]) -> tuple[dict[str, int | None], dict[str, str]]:
    """The posted answers as scores; an answer off its scale is an error, a blank one is skipped."""
    scores: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for parameter in PARAMETERS:
        value = (raw.get(parameter.name) or "").strip()
        if not value:
            scores[parameter.name] = None
        elif value.isdigit() and int(value) in parameter.scale:
            scores[parameter.name] = int(value)
        else:
            scores[parameter.name] = None
            errors[parameter.name] = _("Please choose one of the answers.")
    return scores, errors


def my_rating(session: Session, stop_id: int, participant_id: int) -> WalkRating | None:
    query = select(WalkRating).where(
        WalkRating.stop_id == stop_id, WalkRating.participant_id == participant_id
    )
    return session.exec(query).first()


def stop_kind(feeling: float | None) -> str:
    """What kind of entry a stop's ratings (or a note made there) are, by how safe it felt: below
    "Not sure" unsafe, above it safe; "Not sure", or not said, is something that needs to change."""
    if feeling is None or feeling == 3:
        return ReportKind.STRUCTURAL
    return ReportKind.SAFE if feeling > 3 else ReportKind.UNSAFE


def rate_stop(
    session: Session,
    area: Area,
    who: Participation,
    stop_id: int,
    scores: dict[str, int | None],
    *,
    note: str,
    submission_token: str,
    live: LiveBroker,
    known: AreaData,
    language: str,
    bypassed_checks: Sequence[str] = (),
) -> WorkshopEntry | None:
    """This phone's ratings of the current stop (replacing its earlier ones there), and its note as
    a workshop entry when there is one. Returns the note's entry, if a note was sent."""
    workshop, participant = who.workshop, who.participant
    assert workshop.id is not None and participant.id is not None
    stop = session.get(WalkStop, stop_id)
    if stop is None or stop.workshop_id != workshop.id:
        raise WalkError("no_such_stop")
    if workshop.ended_at is not None or stop.position != workshop.walk_position:
        raise WalkError("moved_on")
    note = " ".join(note.split()) if note else ""
    if not note and all(value is None for value in scores.values()):
        raise WalkError("nothing_given")
    if len(note) > NOTE_MAX:
        raise WalkError("note_too_long")
    if any(value is not None for value in scores.values()):
        rating = my_rating(session, stop_id, participant.id)
        if rating is None:
            rating = WalkRating(
                workshop_id=workshop.id, stop_id=stop_id, participant_id=participant.id
            )
        for name, value in scores.items():
            setattr(rating, name, value)
        rating.updated_at = utcnow()
        session.add(rating)
        try:
            session.flush()
        except IntegrityError:
            # A double tap raced itself: the first send's ratings are in; these replace them next time.
            session.rollback()
            raise WalkError("try_again") from None
    entry: WorkshopEntry | None = None
    if note:
        data = ReportCreate.model_validate(
            {
                "kind": stop_kind(scores.get("feeling")),
                "place_id": stop.place_id,
                "location_text": "" if stop.place_id else stop.name,
                "description": note,
                "feeling": scores.get("feeling"),
                "submission_token": submission_token,
            }
        )
        # Triage (disclosures and personal details), the facilitator's check and moderation, as for
        # any entry from the room. A walk asks about every kind (see service.create_workshop).
        entry = entries.add_entry(
            session,
            area,
            who,
            data,
            language=language,
            live=live,
            known=known,
            walk_stop_id=stop.id,
            bypassed_checks=bypassed_checks,
        )
    commit_event(session, workshop, WorkshopEventKind.RATINGS_CHANGED, stop.id, live=live)
    return entry


def rating_count(session: Session, stop_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(WalkRating).where(WalkRating.stop_id == stop_id)
        ).one()
    )


@dataclass(frozen=True)
class Progress:
    """Where the group is, for the console and the wall: each stop with how many phones rated it."""

    position: int
    stops: list[tuple[WalkStop, int]]
    ended: bool

    @property
    def current(self) -> WalkStop | None:
        return (
            next((stop for stop, _count in self.stops if stop.position == self.position), None)
            if not self.ended
            else None
        )

    @property
    def has_next(self) -> bool:
        return not self.ended and self.position < len(self.stops)


def progress(session: Session, workshop: Workshop) -> Progress:
    assert workshop.id is not None
    counts = dict(
        session.exec(
            select(WalkRating.stop_id, func.count())
            .where(WalkRating.workshop_id == workshop.id)
            .group_by(col(WalkRating.stop_id))
        ).all()
    )
    stops = stops_of(session, workshop.id)
    return Progress(
        workshop.walk_position,
        [(stop, int(counts.get(stop.id or 0, 0))) for stop in stops],
        workshop.ended_at is not None,
    )


# --- The route summary ----------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    parameter: Parameter
    count: int
    median: float | None
    mean: float | None

    @property
    def share(self) -> float | None:
        """The mean on a 0 to 1 scale (0 the least safe answer), so scales of 3 and 5 compare."""
        if self.mean is None:
            return None
        return (self.mean - 1) / (self.parameter.top - 1)

    @property
    def median_words(self) -> str:
        """The middle answer in words ("Dark"), or the two it falls between when the count is even."""
        if self.median is None:
            return ""
        low = int(self.median)
        if self.median == low:
            return str(self.parameter.scale[low])
        return _(
            "between %(low)s and %(high)s",
            low=self.parameter.scale[low],
            high=self.parameter.scale[low + 1],
        )


@dataclass(frozen=True)
class StopSummary:
    stop: WalkStop
    ratings: int
    notes: int
    scores: list[Score]
    lowest: tuple[str, ...]  # the parameters rated lowest here (ties included)
    report: Report | None
    shown: bool  # False when a page outside staff ones must hide it (fewer than k ratings)


def route_summary(
    session: Session, workshop: Workshop, *, min_count: int | None = None
) -> list[StopSummary]:
    """Per stop: each parameter's median, mean and count, the notes, and the lowest-rated parameters.

    With `min_count` (the area's k), a stop with fewer ratings keeps only its name and says so.
    """
    assert workshop.id is not None
    stops = stops_of(session, workshop.id)
    ratings = session.exec(select(WalkRating).where(WalkRating.workshop_id == workshop.id)).all()
    notes = dict(
        session.exec(
            select(WorkshopEntry.walk_stop_id, func.count())
            .where(
                WorkshopEntry.workshop_id == workshop.id,
                col(WorkshopEntry.walk_stop_id).is_not(None),
            )
            .group_by(col(WorkshopEntry.walk_stop_id))
        ).all()
    )
    report_ids = [s.report_id for s in stops if s.report_id is not None]
    reports_by_id = (
        {r.id: r for r in session.exec(select(Report).where(col(Report.id).in_(report_ids))).all()}
        if report_ids
        else {}
    )
    by_stop: dict[int, list[WalkRating]] = {}
    for rating in ratings:
        by_stop.setdefault(rating.stop_id, []).append(rating)
    out = []
    for stop in stops:
        assert stop.id is not None
        mine = by_stop.get(stop.id, [])
        shown = min_count is None or len(mine) >= min_count
        scores = []
        for parameter in PARAMETERS:
            values = (
                [v for v in (getattr(r, parameter.name) for r in mine) if v is not None]
                if shown
                else []
            )
            scores.append(
                Score(
                    parameter,
                    len(values),
                    statistics.median(values) if values else None,
                    round(statistics.fmean(values), 1) if values else None,
                )
            )
        rated = [s for s in scores if s.share is not None]
        lowest_share = min((s.share for s in rated), default=None)  # type: ignore[type-var]
        lowest = (
            tuple(s.parameter.name for s in rated if s.share == lowest_share)
            if rated and len(rated) > 1
            else ()
        )
        out.append(
            StopSummary(
                stop,
                len(mine),
                int(notes.get(stop.id, 0)) if shown else 0,
                scores,
                lowest,
                reports_by_id.get(stop.report_id) if stop.report_id else None,
                shown,
            )
        )
    return out


def _describe(summary: StopSummary, total: int) -> str:
    """The stop's ratings in words, for its entry: what the group said, not established fact."""
    parts = [
        ngettext(
            "On a safety walk, %(num)s person rated stop %(position)s of %(total)s, %(name)s.",
            "On a safety walk, %(num)s people rated stop %(position)s of %(total)s, %(name)s.",
            summary.ratings,
            position=summary.stop.position,
            total=total,
            name=summary.stop.name,
        )
    ]
    for score in summary.scores:
        if score.median is None:
            continue
        parts.append(
            _(
                "%(question)s: %(answer)s (middle answer of %(count)s).",
                question=score.parameter.question,
                answer=score.median_words,
                count=score.count,
            )
        )
    if summary.lowest:
        parts.append(
            _(
                "Rated lowest here: %(names)s.",
                names=", ".join(str(BY_NAME[n].question) for n in summary.lowest),
            )
        )
    return "\n".join(parts)


def finish_walk(
    session: Session, area: Area, workshop: Workshop, *, known: AreaData
) -> list[Report]:
    """Each rated stop becomes one entry describing its ratings, on its way through moderation.

    Safe to run again (each stop's entry has a fixed submission token). Commits.
    """
    assert workshop.id is not None
    made: list[Report] = []
    summaries = route_summary(session, workshop)
    reader_locale = i18n.get_locale()
    i18n.set_locale(workshop.language)  # the entry is in the room's language, as its notes are
    try:
        for summary in summaries:
            report = _stop_entry(session, area, workshop, summary, len(summaries), known=known)
            if report is not None:
                made.append(report)
    finally:
        i18n.set_locale(reader_locale)
    return made


def _stop_entry(
    session: Session,
    area: Area,
    workshop: Workshop,
    summary: StopSummary,
    total: int,
    *,
    known: AreaData,
) -> Report | None:
    """One rated stop's entry (None when nobody rated it, or it has one already)."""
    stop = summary.stop
    if summary.ratings == 0 or stop.report_id is not None:
        return None
    feeling = next((s.median for s in summary.scores if s.parameter.name == "feeling"), None)
    data = ReportCreate.model_validate(
        {
            "kind": stop_kind(feeling),
            "place_id": stop.place_id,
            "location_text": "" if stop.place_id else stop.name,
            "description": _describe(summary, total),
            "feeling": round(feeling) if feeling is not None else None,
            "submission_token": f"safety-walk-{workshop.id}-stop-{stop.id}",
        }
    )
    submitted = reports.submit_report(
        session, area, data, language=workshop.language, source=ReportSource.WORKSHOP, known=known
    )
    report = submitted.report
    report.workshop_id = workshop.id
    stop.report_id = report.id
    session.add_all([report, stop])
    session.commit()
    return report
