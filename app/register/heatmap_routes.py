"""The register's heatmap page: unsafe entries by month and time of day, for the staff member's area.

Who may read it: the same people as the register list (statutory teams and moderators; admins may
use every staff page). Each view is in the access log, with the filters used.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import col, select

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.audit.access import ViewRecord, records_view
from app.core import i18n
from app.core.templating import render
from app.core.web import PublicAreaData, ReadSession, require_role, use_locale
from app.register import heatmap, labels
from app.register.models import Context
from app.register.periods import DEFAULT_PERIOD, PERIODS
from app.reports.models import ReportSource
from app.reports.taxonomy import TIME_BANDS

router = APIRouter(
    prefix="/staff/register", dependencies=[Depends(use_locale)], include_in_schema=False
)
HeatmapReader = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY, Role.MODERATOR))]
# The context list in the filter: the area's contexts by name, as many as a select can sensibly hold.
MAX_CONTEXT_CHOICES = 500


@router.get("/heatmap")
def heatmap_page(
    request: Request,
    staff: HeatmapReader,
    known: PublicAreaData,
    session: ReadSession,
    view: Annotated[ViewRecord, Depends(records_view("heatmap_viewed"))],
    context: str = "",
    place: str = "",
    category: str = "",
    source: str = "",
    period: str = DEFAULT_PERIOD,
) -> Response:
    # The staff member's own area: `known` is resolved from the same session (app.core.web), and
    # gives this area's gazetteer and co-designed categories for the filters.
    assert staff.area.id is not None
    area_id = staff.area.id
    contexts = session.exec(
        select(Context.id, Context.name)
        .where(col(Context.area_id) == area_id, col(Context.merged_into_id).is_(None))
        .order_by(col(Context.name))
        .limit(MAX_CONTEXT_CHOICES)
    ).all()
    choices = [(int(cid), name) for cid, name in contexts if cid is not None]
    context_ids = {cid for cid, _name in choices}
    if context.isdigit() and int(context) not in context_ids:
        # A context past the list's end (a large area) is still a valid choice if it is this area's.
        chosen = session.exec(
            select(Context.id, Context.name).where(
                col(Context.area_id) == area_id, col(Context.id) == int(context)
            )
        ).first()
        if chosen and chosen[0] is not None:
            choices.append((int(chosen[0]), chosen[1]))
            context_ids.add(int(chosen[0]))
    categories = known.words.categories("unsafe", i18n.get_locale())
    filters = heatmap.parse_filters(
        context=context[:12],
        place=place[:12],
        category=category[:40],
        source=source[:20],
        period=period[:4],
        context_ids=context_ids,
        place_ids={p.id for p in known.places},
        categories={code for code, _label in categories},
    )
    result = heatmap.unsafe_heatmap(session, area_id, filters)
    view.note(filters=filters.query_params())
    return render(
        request,
        "register/heatmap.html",
        {
            "heatmap": result,
            "filters": filters,
            "contexts": choices,
            "places": known.places,
            "categories": categories,
            "sources": [(s.value, labels.label(labels.SOURCE, s.value)) for s in ReportSource],
            "periods": [(p, labels.label(labels.PERIOD, p)) for p in PERIODS],
            "band_labels": TIME_BANDS,
            "month_date": heatmap.month_date,
            "category_names": dict(categories),
        },
    )
