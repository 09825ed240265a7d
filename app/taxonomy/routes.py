"""Area admins edit the categories and question wording, per kind and language, as new versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, model_validator
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.core.i18n import LOCALE_NAMES
from app.core.i18n import gettext as _
from app.core.templating import render
from app.core.web import DbId, ReadSession, WriteSession, require_role, use_locale
from app.reports.models import ReportKind
from app.reports.taxonomy import KIND_LABELS
from app.taxonomy import service
from app.taxonomy.defaults import category_key, question_key
from app.workshops import service as workshops

router = APIRouter(prefix="/staff/taxonomy", dependencies=[Depends(use_locale)], include_in_schema=False)
Admin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]


class TaxonomyForm(BaseModel):
    """One kind's words in one language, as posted: a box per category (`label_<code>`) and per
    question (`question_<name>`), whose names depend on the area's categories, so they are gathered
    here; an empty box means the standard words."""

    model_config = ConfigDict(extra="ignore")

    kind: str = ""
    locale: str = ""
    labels: dict[str, str] = {}
    questions: dict[str, str] = {}
    hidden: list[str] = []
    new_category: str = ""
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _boxes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        boxes = {name: value for name, value in data.items() if isinstance(value, str)}
        return data | {
            "labels": {name.removeprefix("label_"): value for name, value in boxes.items() if name.startswith("label_")},
            "questions": {name.removeprefix("question_"): value for name, value in boxes.items() if name.startswith("question_")},
        }


def _choose(staff: StaffIdentity, kind: str, locale: str) -> tuple[str, str]:
    kind = kind if kind in {k.value for k in ReportKind} else ReportKind.UNSAFE.value
    locale = locale if locale in staff.area.locale_list else staff.area.default_locale
    return kind, locale


def _page(
    request: Request, session: Session, staff: StaffIdentity, kind: str, locale: str, *, notice: str = "", error: str = "", status: int = 200,
    typed: TaxonomyForm | None = None,
) -> Response:
    assert staff.area.id is not None
    categories, questions = service.editor_rows(session, staff.area, kind, locale)
    context: dict[str, Any] = {
        "kind": kind,
        "edit_locale": locale,
        "kinds": KIND_LABELS,
        "locale_names": {code: LOCALE_NAMES.get(code, code) for code in staff.area.locale_list},
        "categories": categories,
        "questions": questions,
        "versions": service.versions(session, staff.area.id)[:20],
        "adoptable": workshops.adoptable(session, staff.area.id),
        "notice": notice,
        "error": error,
        "typed": typed,
    }
    return render(request, "taxonomy/edit.html", context, status_code=status)


@router.get("")
def edit(request: Request, staff: Admin, session: ReadSession, kind: str = "", locale: str = "", saved: int = 0) -> Response:
    kind, locale = _choose(staff, kind, locale)
    notice = _("Saved as version %(number)s. New reports use these words; older ones keep theirs.", number=saved) if saved else ""
    return _page(request, session, staff, kind, locale, notice=notice)


@router.post("")
def save(request: Request, staff: Admin, read: ReadSession, write: WriteSession, data: Annotated[TaxonomyForm, Form()]) -> Response:
    kind, locale = _choose(staff, data.kind, data.locale)
    categories, questions = service.editor_rows(write, staff.area, kind, locale)
    labels = {category_key(row.code): data.labels.get(row.code, "") for row in categories}
    labels |= {question_key(row.name): data.questions.get(row.name, "") for row in questions}
    try:
        version = service.save_version(
            write, staff.area, actor_id=staff.user.id, kind=kind, locale=locale, labels=labels, hidden=set(data.hidden),
            added=[data.new_category], note=data.note,
        )
    except service.NoChange:
        write.close()
        return _page(request, read, staff, kind, locale, notice=_("Nothing has changed, so there is no new version."))
    except service.TaxonomyError as exc:
        write.close()
        message = _("Please keep each label under 200 characters.") if exc.code == "too_long" else _("Something in the form did not match this area's categories. Please reload the page and try again.")
        return _page(request, read, staff, kind, locale, error=message, status=422, typed=data)
    # save_version leaves the commit to its caller: the version is kept before the redirect.
    write.commit()
    return RedirectResponse(f"/staff/taxonomy?kind={kind}&locale={locale}&saved={version.number}", status_code=303)


@router.post("/adopt/{question_id}")
def adopt(question_id: DbId, staff: Admin, session: WriteSession) -> Response:
    try:
        number = workshops.adopt_wording(session, staff.area, staff, question_id)
    except workshops.WorkshopError:
        return RedirectResponse("/staff/taxonomy", status_code=303)
    return RedirectResponse(f"/staff/taxonomy?saved={number}", status_code=303)
