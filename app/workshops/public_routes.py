"""The participant's side, on a phone with no account: join with the code, add entries, vote.

The join code opens a short-lived participant session: a cookie with a signed random token whose
hash is all the database keeps. When the session or the code has ended, every form shows a clear
message with what the person typed still on screen.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.areas.lookup import AreaData
from app.core import i18n
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.security import cookie_name, csrf_exempt, csrf_passed
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import (
    PublicArea,
    PublicAreaData,
    ReadSession,
    SettingsDep,
    WriteSession,
    client_address,
    use_locale,
)
from app.reports import service as reports
from app.reports.schemas import ReportCreate, error_messages
from app.reports.taxonomy import FEELINGS, KIND_HINTS, KIND_LABELS, TIME_BANDS
from app.workshops import live, service
from app.workshops.models import VotingStatus, WallStatus

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)
Live = Annotated[live.LiveBroker, Depends(live.get_broker)]

ENTRY_FIELDS = ("kind", "place_id", "location_text", "description", "what_would_help", "feeling", "submission_token")
LIST_FIELDS = ("time_bands", "categories")
JOIN_LIMIT = 200  # per address per 10 minutes: a whole room behind one venue router still fits
ENTRY_LIMIT = 30  # per participant per hour


class EntryForm(BaseModel):
    """An entry as posted. Plain strings: ReportCreate judges them, so a wrong answer comes back as a
    message beside what was typed instead of a bare 422 (the body limit bounds the sizes)."""

    model_config = ConfigDict(extra="ignore")

    kind: str = ""
    place_id: str = ""
    location_text: str = ""
    description: str = ""
    what_would_help: str = ""
    feeling: str = ""
    submission_token: str = ""
    time_bands: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    csrf_token: str = ""


class JoinForm(EntryForm):
    """The join code, with the entry they had typed when their last session ended, if any."""

    code: str = ""


class AnswerForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    option_id: str = ""


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="workshop-participant")


def participant_cookie(settings: Settings) -> str:
    return cookie_name(settings, "sm_workshop")


def _token(request: Request, settings: Settings) -> str | None:
    raw = request.cookies.get(participant_cookie(settings))
    if not raw:
        return None
    try:
        return str(_serializer(settings).loads(raw))
    except BadSignature:
        return None


def current(request: Request, session: Session, settings: Settings) -> service.Participation | None:
    who = service.resume(session, _token(request, settings))
    if who is not None:
        # The workshop's language, unless the person picked another one on this phone.
        chosen = request.query_params.get("lang") or request.cookies.get("sm_lang")
        if chosen not in i18n.LOCALES:
            i18n.set_locale(who.workshop.language)
            request.state.locale = who.workshop.language
    return who


def _read_entry(form: EntryForm) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(form, name) for name in ENTRY_FIELDS}
    for name in LIST_FIELDS:
        values[name] = [v for v in getattr(form, name) if v]
    return values


def _join_page(request: Request, *, code: str = "", error: str = "", values: dict[str, Any] | None = None, status: int = 200) -> Response:
    return render(request, "workshops/join.html", {"code": code, "error": error, "carried": values or {}, "list_fields": LIST_FIELDS}, status_code=status)


@router.get("/workshops/join")
def join_form(request: Request, area: PublicArea, code: str = "") -> Response:
    return _join_page(request, code=service.normalise_join_code(code))


@router.post("/workshops/join")
def join(
    request: Request, form: Annotated[JoinForm, Form()], known: PublicAreaData, read: ReadSession, write: WriteSession,
    settings: SettingsDep,
) -> Response:
    area = known.area
    code = form.code.strip()
    carried = _read_entry(form) if form.description or form.location_text else {}
    limiter = request.app.state.rate_limiter
    if not limiter.hit("workshop_join", client_address(request, settings), limit=JOIN_LIMIT, window_seconds=600):
        return _join_page(request, code=code, values=carried, error=_("Too many tries from here. Please wait a few minutes and try again."), status=429)
    try:
        who, token = service.join(write, area, code, session_minutes=settings.workshop_session_minutes)  # commits
    except service.WorkshopError as exc:
        error = (
            _("This workshop has finished, so its code no longer works. Ask the facilitator if there is a new one.")
            if exc.code == "ended"
            else _("We could not find a workshop with that code. Please check it: it has 6 letters and numbers, like KM4 7RT.")
        )
        return _join_page(request, code=code, values=carried, error=error, status=422 if code else 400)
    max_age = max(int((who.participant.expires_at - utcnow()).total_seconds()), 1)
    if carried:
        # They had typed an entry when their last session ended: put it back on the form.
        i18n.set_locale(who.workshop.language)
        request.state.locale = who.workshop.language
        write.close()  # the page is read through the read session, with the write lock already released
        response = _session_page(request, read, known, who, values=carried)
    else:
        response = RedirectResponse("/workshops/session", status_code=303)
    response.set_cookie(
        participant_cookie(settings), _serializer(settings).dumps(token), max_age=max_age,
        httponly=True, samesite="lax", secure=settings.secure_cookies, path="/",
    )
    return response


def _entry_choices(known: AreaData, who: service.Participation) -> dict[str, Any]:
    locale = i18n.get_locale()
    words, kinds = known.words, who.workshop.kind_list
    return {
        "kinds": {k: words.wording(k, locale, "kind_label") for k in kinds},
        "kind_hints": {k: words.wording(k, locale, "kind_hint") for k in kinds},
        "categories": {k: words.categories(k, locale) for k in kinds},
        "wording": words.wordings(kinds[0], locale, ("where", "when", "what", "description", "feel", "what_would_help")),
        "places": known.places,
        "time_bands": TIME_BANDS,
        "feelings": FEELINGS,
        "default_kind_labels": KIND_LABELS,
        "default_kind_hints": KIND_HINTS,
    }


def _session_page(
    request: Request, session: Session, known: AreaData, who: service.Participation, *, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, notice: str = "", status: int = 200, help_now: bool = False,
) -> Response:
    """The participant's page, read through a read session (never the write one: see WriteSession)."""
    participant, workshop = who.participant, who.workshop
    assert participant.id is not None and workshop.id is not None
    wall = service.wall_entries(session, workshop.id) if workshop.voting != VotingStatus.NOT_STARTED else []
    mine = service.my_votes(session, participant.id)
    my_entries = service.entries_of(session, participant.id)
    context = {
        "workshop": workshop,
        "values": values or {"submission_token": reports.new_submission_token(), "kind": workshop.kind_list[0] if len(workshop.kind_list) == 1 else ""},
        "errors": errors or {},
        "notice": notice,
        "my_entries": my_entries,
        # Help at the top while words of theirs (sent or on screen) may mean someone is not safe.
        "help_now": help_now or any(reports.kept_for_safeguarding(report) for _entry, report in my_entries),
        "wall": wall,
        "counts": service.vote_counts(session, workshop.id) if wall else {},
        "my_votes": mine,
        "dots_left": workshop.votes_per_person - len(mine),
        "voting_open": workshop.voting == VotingStatus.OPEN,
        "questions": service.wording_results(session, service.questions_of(session, workshop.id, open_only=True), participant.id),
        "on_wall": WallStatus.ON_WALL,
        "held_back": WallStatus.HELD_BACK,
    } | _entry_choices(known, who)
    session.close()  # everything the page shows is loaded: no transaction while it renders
    return render(request, "workshops/session.html", context, status_code=status)


def _ended(request: Request, values: dict[str, Any] | None = None) -> Response:
    error = _("Your workshop session has ended. Type the code again to carry on: what you wrote is still here.")
    return _join_page(request, values=values, error=error, status=401)


@router.get("/workshops/session")
def session_page(request: Request, known: PublicAreaData, session: ReadSession, settings: SettingsDep) -> Response:
    who = current(request, session, settings)
    if who is None:
        return _ended(request)
    return _session_page(request, session, known, who)


def _page_after_write(
    request: Request, write: Session, read: Session, known: AreaData, who: service.Participation, **page: Any,
) -> Response:
    """The participant's page after a write route: the write transaction ends (committed by the
    service, or rolled back when nothing was changed) before the page is read and rendered."""
    write.close()
    return _session_page(request, read, known, who, **page)


@router.post("/workshops/session/entries")
@csrf_exempt("checks its own token so that a stale form shows the entry again instead of losing it")
def add_entry(
    request: Request, form: Annotated[EntryForm, Form()], known: PublicAreaData, read: ReadSession, write: WriteSession,
    settings: SettingsDep, broker: Live,
) -> Response:
    values = _read_entry(form)
    if not values.get("submission_token"):
        values["submission_token"] = reports.new_submission_token()
    who = current(request, write, settings)
    if who is None:
        return _ended(request, values)
    grading = reports.grade_answers(values)
    if not csrf_passed(request, form.csrf_token):
        notice = _("This page was open for a while, so we need you to press the button once more. What you wrote is still here.")
        return _page_after_write(request, write, read, known, who, values=values, notice=notice, status=400, help_now=grading.urgent)
    limiter = request.app.state.rate_limiter
    bypassed: list[str] = []
    if not limiter.hit("workshop_entry", f"participant:{who.participant.id}", limit=ENTRY_LIMIT, window_seconds=3600):
        if reports.may_hold_back(grading):
            notice = _("You have sent a lot of entries. Please wait a little and send again: what you wrote is still here.")
            return _page_after_write(request, write, read, known, who, values=values, notice=notice, status=429)
        bypassed.append("rate_limit")
    errors: dict[str, str] = {}
    if values["kind"] not in who.workshop.kind_list:
        errors["kind"] = _("Please choose what you want to tell us about.")
    try:
        data = ReportCreate.model_validate(dict(values.items()) | {"time_bands": values["time_bands"], "days": []})
    except ValidationError as exc:
        errors = error_messages(exc) | errors
    if errors:
        return _page_after_write(request, write, read, known, who, values=values, errors=errors, status=422, help_now=grading.urgent)
    try:
        service.add_entry(
            write, known.area, who, data, language=i18n.get_locale(), chosen_categories=values["categories"], live=broker,
            bypassed_checks=bypassed, known=known,
        )
    except reports.ReportInputError:
        errors = {"where": _("Please choose a place from the list, or describe it in words.")}
        return _page_after_write(request, write, read, known, who, values=values, errors=errors, status=422, help_now=grading.urgent)
    except service.WorkshopError:
        errors = {"kind": _("Please choose what you want to tell us about.")}
        return _page_after_write(request, write, read, known, who, values=values, errors=errors, status=422)
    except SQLAlchemyError:
        notice = _("Sorry, we could not save this just now. What you wrote is still here: please press send again in a minute.")
        return _page_after_write(request, write, read, known, who, values=values, notice=notice, status=503, help_now=grading.urgent)
    return RedirectResponse("/workshops/session?sent=1#mine", status_code=303)


@router.post("/workshops/session/entries/{entry_id}/withdraw")
def withdraw(
    request: Request, entry_id: int, known: PublicAreaData, read: ReadSession, write: WriteSession, settings: SettingsDep,
    broker: Live,
) -> Response:
    who = current(request, write, settings)
    if who is None:
        return _ended(request)
    try:
        withdrawal = service.withdraw_entry(write, who, entry_id, live=broker)
    except service.WorkshopError:
        return _page_after_write(request, write, read, known, who, notice=_("That entry is not one of yours, or it has gone already."), status=404)
    if withdrawal.kept:
        # Said on the page, not in the address: a URL never hints at what was written.
        notice = _("Because what you wrote may mean someone is not safe, we keep it so a safeguarding worker can check everyone is OK. It will not be published.")
        return _page_after_write(request, write, read, known, who, notice=notice, help_now=True)
    return RedirectResponse("/workshops/session?withdrawn=1#mine", status_code=303)


@router.post("/workshops/session/votes/{entry_id}")
def vote(
    request: Request, entry_id: int, known: PublicAreaData, read: ReadSession, write: WriteSession, settings: SettingsDep,
    broker: Live,
) -> Response:
    who = current(request, write, settings)
    if who is None:
        return _ended(request)
    try:
        service.toggle_vote(write, who, entry_id, live=broker)
    except service.WorkshopError as exc:
        messages = {
            "no_dots_left": _("You have used all your dots. Take one back to move it somewhere else."),
            "voting_closed": _("Voting has closed. Thank you for taking part."),
        }
        notice = messages.get(exc.code, _("That entry is no longer on the wall."))
        return _page_after_write(request, write, read, known, who, notice=notice, status=409)
    return RedirectResponse("/workshops/session#board", status_code=303)


@router.post("/workshops/session/questions/{question_id}")
def answer(
    request: Request, question_id: int, form: Annotated[AnswerForm, Form()], known: PublicAreaData, read: ReadSession,
    write: WriteSession, settings: SettingsDep, broker: Live,
) -> Response:
    who = current(request, write, settings)
    if who is None:
        return _ended(request)
    try:
        if not form.option_id.isdigit():
            raise service.WorkshopError("not_found")
        service.answer_wording(write, who, question_id, int(form.option_id), live=broker)
    except service.WorkshopError:
        return _page_after_write(request, write, read, known, who, notice=_("Please choose one of the words, or this question has closed."), status=409)
    return RedirectResponse("/workshops/session#questions", status_code=303)


@router.post("/workshops/session/leave")
def leave(request: Request, session: WriteSession, settings: SettingsDep) -> Response:
    """End this phone's session and forget it (on a shared phone, the next person starts fresh)."""
    service.leave(session, _token(request, settings))
    response = RedirectResponse("/workshops/join", status_code=303)
    response.delete_cookie(participant_cookie(settings), path="/")
    return response
