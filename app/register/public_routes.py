"""Public pages fed by the register: "You said, we did" and the aggregated map."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.core.templating import render
from app.core.web import PublicArea, PublicAreaData, ReadSession, use_locale
from app.register.actions import you_said_we_did as actions_said_and_done
from app.register.public_map import public_map
from app.taxonomy.service import category_names

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)


@router.get("/you-said-we-did")
def you_said_we_did(request: Request, area: PublicArea, session: ReadSession) -> Response:
    assert area.id is not None
    return render(request, "register/you_said_we_did.html", {"actions": actions_said_and_done(session, area.id)})


@router.get("/map")
def map_page(request: Request, known: PublicAreaData, session: ReadSession) -> Response:
    the_map = public_map(session, known.area, known.places)
    if known.area.tile_url:
        # Only an area that sets its own tile server gets tiles, and the CSP then allows that origin.
        parts = urlsplit(known.area.tile_url.replace("{s}", "a"))
        request.state.tile_origin = f"{parts.scheme}://{parts.netloc}"
    return render(
        request,
        "register/map.html",
        {"map": the_map, "category_label": category_names(session, known.area_id)},
    )
