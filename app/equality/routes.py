"""The disproportionality view for the register's readers: counts by equality group, small numbers hidden."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.areas.models import PlaceKind
from app.audit.access import ViewRecord, records_view
from app.core.i18n import lazy_gettext as _l
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import ReadSession, use_locale
from app.equality import questions, service
from app.register import labels, periods
from app.register.routes import RegisterReader
from app.taxonomy.service import category_names

router = APIRouter(
    prefix="/staff/register", dependencies=[Depends(use_locale)], include_in_schema=False
)

PLACE_KIND_LABELS = {
    PlaceKind.STREET: _l("Street"),
    PlaceKind.PARK: _l("Park"),
    PlaceKind.SCHOOL: _l("School"),
    PlaceKind.TRANSPORT: _l("Transport"),
    PlaceKind.SHOP: _l("Shop"),
    PlaceKind.COMMUNITY: _l("Community place"),
    PlaceKind.OTHER: _l("Other place"),
    service.NOT_A_GAZETTEER_PLACE: _l("Described in words or on the map"),
}
NOT_ANSWERED_LABEL = _l("Did not answer")


@router.get("/equality")
def equality_view(
    request: Request,
    staff: RegisterReader,
    session: ReadSession,
    view: Annotated[ViewRecord, Depends(records_view("equality_viewed"))],
    question: str = "ethnicity",
    period: str = periods.DEFAULT_PERIOD,
) -> Response:
    question = question if question in questions.QUESTIONS else "ethnicity"
    period = period if period in periods.PERIODS else periods.DEFAULT_PERIOD
    view.note(question=question, period=period)
    assert staff.area.id is not None
    names = category_names(session, staff.area.id)  # the area's own words for its categories
    result = service.disproportionality(
        session, staff.area, question, period, today=utcnow().date()
    )
    group_labels = {code: str(label) for code, label in result.question.groups.items()} | {
        service.NOT_ANSWERED: str(NOT_ANSWERED_LABEL)
    }
    return render(
        request,
        "equality/view.html",
        {
            "result": result,
            "question": question,
            "period": period,
            "questions": questions.QUESTIONS,
            "periods": labels.PERIOD,
            "group_labels": group_labels,
            "place_labels": {code: str(label) for code, label in PLACE_KIND_LABELS.items()},
            "category_label": names,
            "column_shares": service.column_shares,
        },
    )
