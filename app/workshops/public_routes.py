"""The participant's side, on a phone with no account: join with the code, add entries, vote.

The join code opens a short-lived participant session: a cookie with a signed random token whose
hash is all the database keeps. When the session or the code has ended, every form shows a clear
message with what the person typed still on screen.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.areas import service as areas
from app.areas.models import Area
from app.core import i18n
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.security import cookie_name, csrf_exempt
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import PublicArea, SessionDep, SettingsDep, client_address, use_locale
from app.reports import service as reports
from app.reports.schemas import ReportCreate, error_messages
from app.reports.taxonomy import FEELINGS, KIND_HINTS, KIND_LABELS, TIME_BANDS
from app.taxonomy import service as taxonomy
from app.workshops import live, service
from app.workshops.forms import CsrfPassed, FormDep
from app.workshops.models import VotingStatus, WallStatus

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)
Live = Annotated[live.LiveBroker, Depends(live.get_broker)]

ENTRY_FIELDS = ("kind", "place_id", "location_text", "description", "what_would_help", "feeling", "submission_token")
LIST_FIELDS = ("time_bands", "categories")
JOIN_LIMIT = 200  # per address per 10 minutes: a whole room behind one venue router still fits
ENTRY_LIMIT = 30  # per participant per hour


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


def _read_entry(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ENTRY_FIELDS:
        raw = form.get(name, "")
        values[name] = raw if isinstance(raw, str) else ""
    for name in LIST_FIELDS:
        values[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
    return values


def _join_page(request: Request, *, code: str = "", error: str = "", values: dict[str, Any] | None = None, status: int = 200) -> Response:
    return render(request, "workshops/join.html", {"code": code, "error": error, "carried": values or {}, "list_fields": LIST_FIELDS}, status_code=status)


@router.get("/workshops/join")
def join_form(request: Request, area: PublicArea, code: str = "") -> Response:
    return _join_page(request, code=service.normalise_join_code(code))


@router.post("/workshops/join")
def join(request: Request, area: PublicArea, session: SessionDep, settings: SettingsDep, form: FormDep) -> Response:
    code = str(form.get("code", "")).strip()
    carried = _read_entry(form) if form.get("description") or form.get("location_text") else {}
    limiter = request.app.state.rate_limiter
    if not limiter.hit("workshop_join", client_address(request, settings), limit=JOIN_LIMIT, window_seconds=600):
        return _join_page(request, code=code, values=carried, error=_("Too many tries from here. Please wait a few minutes and try again."), status=429)
    try:
        who, token = service.join(session, area, code, session_minutes=settings.workshop_session_minutes)
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
        response = _session_page(request, session, area, who, values=carried)
    else:
        response = RedirectResponse("/workshops/session", status_code=303)
    response.set_cookie(
        participant_cookie(settings), _serializer(settings).dumps(token), max_age=max_age,
        httponly=True, samesite="lax", secure=settings.secure_cookies, path="/",
    )
    return response


def _entry_choices(session: Session, area: Area, who: service.Participation) -> dict[str, Any]:
    locale = i18n.get_locale()
    return {
        "kinds": {k: taxonomy.question_wording(session, area, k, locale, "kind_label") for k in who.workshop.kind_list},
        "kind_hints": {k: taxonomy.question_wording(session, area, k, locale, "kind_hint") for k in who.workshop.kind_list},
        "categories": {k: taxonomy.current_categories(session, area, k, locale) for k in who.workshop.kind_list},
        "wording": {
            q: taxonomy.question_wording(session, area, who.workshop.kind_list[0], locale, q)
            for q in ("where", "when", "what", "description", "feel", "what_would_help")
        },
        "places": areas.places(session, area.id) if area.id else [],
        "time_bands": TIME_BANDS,
        "feelings": FEELINGS,
        "default_kind_labels": KIND_LABELS,
        "default_kind_hints": KIND_HINTS,
    }


def _session_page(
    request: Request, session: Session, area: Area, who: service.Participation, *, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, notice: str = "", status: int = 200,
) -> Response:
    participant, workshop = who.participant, who.workshop
    assert participant.id is not None and workshop.id is not None
    wall = service.wall_entries(session, workshop.id) if workshop.voting != VotingStatus.NOT_STARTED else []
    mine = service.my_votes(session, participant.id)
    context = {
        "workshop": workshop,
        "values": values or {"submission_token": reports.new_submission_token(), "kind": workshop.kind_list[0] if len(workshop.kind_list) == 1 else ""},
        "errors": errors or {},
        "notice": notice,
        "my_entries": service.entries_of(session, participant.id),
        "wall": wall,
        "counts": service.vote_counts(session, workshop.id) if wall else {},
        "my_votes": mine,
        "dots_left": workshop.votes_per_person - len(mine),
        "voting_open": workshop.voting == VotingStatus.OPEN,
        "questions": service.wording_results(session, service.questions_of(session, workshop.id, open_only=True), participant.id),
        "on_wall": WallStatus.ON_WALL,
        "held_back": WallStatus.HELD_BACK,
    } | _entry_choices(session, area, who)
    return render(request, "workshops/session.html", context, status_code=status)


def _ended(request: Request, values: dict[str, Any] | None = None) -> Response:
    error = _("Your workshop session has ended. Type the code again to carry on: what you wrote is still here.")
    return _join_page(request, values=values, error=error, status=401)


@router.get("/workshops/session")
def session_page(request: Request, area: PublicArea, session: SessionDep, settings: SettingsDep) -> Response:
    who = current(request, session, settings)
    if who is None:
        return _ended(request)
    return _session_page(request, session, area, who)


@router.post("/workshops/session/entries")
@csrf_exempt("checks its own token so that a stale form shows the entry again instead of losing it")
def add_entry(
    request: Request, area: PublicArea, session: SessionDep, settings: SettingsDep, broker: Live, form: FormDep, csrf_ok: CsrfPassed,
) -> Response:
    values = _read_entry(form)
    if not values.get("submission_token"):
        values["submission_token"] = reports.new_submission_token()
    who = current(request, session, settings)
    if who is None:
        return _ended(request, values)
    if not csrf_ok:
        notice = _("This page was open for a while, so we need you to press the button once more. What you wrote is still here.")
        return _session_page(request, session, area, who, values=values, notice=notice, status=400)
    limiter = request.app.state.rate_limiter
    if not limiter.hit("workshop_entry", f"participant:{who.participant.id}", limit=ENTRY_LIMIT, window_seconds=3600):
        notice = _("You have sent a lot of entries. Please wait a little and send again: what you wrote is still here.")
        return _session_page(request, session, area, who, values=values, notice=notice, status=429)
    errors: dict[str, str] = {}
    if values["kind"] not in who.workshop.kind_list:
        errors["kind"] = _("Please choose what you want to tell us about.")
    try:
        data = ReportCreate.model_validate(dict(values.items()) | {"time_bands": values["time_bands"], "days": []})
    except ValidationError as exc:
        errors = error_messages(exc) | errors
    if errors:
        return _session_page(request, session, area, who, values=values, errors=errors, status=422)
    try:
        service.add_entry(session, area, who, data, language=i18n.get_locale(), chosen_categories=values["categories"], live=broker)
    except reports.ReportInputError:
        errors = {"where": _("Please choose a place from the list, or describe it in words.")}
        return _session_page(request, session, area, who, values=values, errors=errors, status=422)
    except service.WorkshopError:
        errors = {"kind": _("Please choose what you want to tell us about.")}
        return _session_page(request, session, area, who, values=values, errors=errors, status=422)
    except SQLAlchemyError:
        session.rollback()
        notice = _("Sorry, we could not save this just now. What you wrote is still here: please press send again in a minute.")
        return _session_page(request, session, area, who, values=values, notice=notice, status=503)
    return RedirectResponse("/workshops/session?sent=1#mine", status_code=303)


@router.post("/workshops/session/entries/{entry_id}/withdraw")
def withdraw(request: Request, entry_id: int, area: PublicArea, session: SessionDep, settings: SettingsDep, broker: Live) -> Response:
    who = current(request, session, settings)
    if who is None:
        return _ended(request)
    try:
        service.withdraw_entry(session, who, entry_id, live=broker)
    except service.WorkshopError:
        return _session_page(request, session, area, who, notice=_("That entry is not one of yours, or it has gone already."), status=404)
    return RedirectResponse("/workshops/session?withdrawn=1#mine", status_code=303)


@router.post("/workshops/session/votes/{entry_id}")
def vote(request: Request, entry_id: int, area: PublicArea, session: SessionDep, settings: SettingsDep, broker: Live) -> Response:
    who = current(request, session, settings)
    if who is None:
        return _ended(request)
    try:
        service.toggle_vote(session, who, entry_id, live=broker)
    except service.WorkshopError as exc:
        messages = {
            "no_dots_left": _("You have used all your dots. Take one back to move it somewhere else."),
            "voting_closed": _("Voting has closed. Thank you for taking part."),
        }
        notice = messages.get(exc.code, _("That entry is no longer on the wall."))
        return _session_page(request, session, area, who, notice=notice, status=409)
    return RedirectResponse("/workshops/session#board", status_code=303)


@router.post("/workshops/session/questions/{question_id}")
def answer(request: Request, question_id: int, area: PublicArea, session: SessionDep, settings: SettingsDep, broker: Live, form: FormDep) -> Response:
    who = current(request, session, settings)
    if who is None:
        return _ended(request)
    option = str(form.get("option_id", ""))
    try:
        if not option.isdigit():
            raise service.WorkshopError("not_found")
        service.answer_wording(session, who, question_id, int(option), live=broker)
    except service.WorkshopError:
        return _session_page(request, session, area, who, notice=_("Please choose one of the words, or this question has closed."), status=409)
    return RedirectResponse("/workshops/session#questions", status_code=303)


@router.post("/workshops/session/leave")
def leave(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """End this phone's session and forget it (on a shared phone, the next person starts fresh)."""
    service.leave(session, _token(request, settings))
    response = RedirectResponse("/workshops/join", status_code=303)
    response.delete_cookie(participant_cookie(settings), path="/")
    return response
