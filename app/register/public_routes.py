"""Public pages fed by the register: "You said, we did" and the aggregated map."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.core.templating import render
from app.core.web import PublicArea, ReadSession, use_locale
from app.register.actions import you_said_we_did as actions_said_and_done
from app.register.public_map import public_map
from app.reports.taxonomy import category_label

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)


@router.get("/you-said-we-did")
def you_said_we_did(request: Request, area: PublicArea, session: ReadSession) -> Response:
    assert area.id is not None
    return render(request, "register/you_said_we_did.html", {"actions": actions_said_and_done(session, area.id)})


@router.get("/map")
def map_page(request: Request, area: PublicArea, session: ReadSession) -> Response:
    return render(request, "register/map.html", {"map": public_map(session, area), "category_label": category_label})
