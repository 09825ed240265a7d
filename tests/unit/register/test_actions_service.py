"""Actions on a context and their "You said, we did" words: what recording refuses, that only a
moderator (or admin) publishes the public words, that those words carry no personal details, and
what the audit log keeps."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app.register import actions
from app.register.service import RegisterError
from tests import support_services
from tests.factories import make_area, make_context
from tests.support_services import audit_rows, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _input(**overrides: object) -> actions.ActionInput:
    values: dict[str, object] = {
        "title": "Youth workers at the park", "owner_organisation": "Youth service", "response_type": "relational",
        "status": "planned", "due_date": date(2027, 1, 31),
    } | overrides
    return actions.ActionInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title": "  "}, "title_missing"),
        ({"owner_organisation": ""}, "owner_missing"),
        ({"response_type": "arrests"}, "response_type_unknown"),
        ({"status": "maybe"}, "status_unknown"),
    ],
)
def test_an_action_is_refused_with_the_code_of_what_is_missing(writer: Session, overrides: dict[str, object], code: str) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "statutory")
    with pytest.raises(RegisterError) as refused:
        actions.record_action(writer, staff, make_context(writer, area), _input(**overrides))
    assert refused.value.code == code
    assert audit_rows(writer, "action.recorded") == []


def test_every_missing_answer_is_listed_at_once() -> None:
    assert actions.validate_action(_input(title="", owner_organisation="", response_type="", status="")) == [
        "title_missing", "owner_missing", "response_type_unknown", "status_unknown",
    ]


def test_recording_an_action_keeps_it_unpublished_and_dated_by_its_status(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "statutory")
    context = make_context(writer, area)
    action = actions.record_action(writer, staff, context, _input(title="  New lights  ", status="in_progress"))
    assert (action.title, action.area_id, action.created_by_id) == ("New lights", area.id, staff.user.id)
    assert action.published_at is None
    assert action.started_on is not None and action.completed_on is None
    [event] = audit_rows(writer, "action.recorded")
    assert event.detail == {"context_id": context.id, "response_type": "relational"}
    actions.update_action(writer, staff, action, status="done", due_date=None)
    assert action.completed_on is not None and action.due_date is None
    [update] = audit_rows(writer, "action.updated")
    assert update.detail["before"] == {"status": "in_progress", "due_date": "2027-01-31"}
    assert update.detail["after"] == {"status": "done", "due_date": None}
    with pytest.raises(RegisterError) as refused:
        actions.update_action(writer, staff, action, status="forgotten", due_date=None)
    assert refused.value.code == "status_unknown"


def test_only_a_moderator_or_an_admin_publishes_or_unpublishes_the_public_words(writer: Session) -> None:
    area = make_area(writer)
    statutory, moderator, admin = identity(writer, area, "statutory"), identity(writer, area, "moderator"), identity(writer, area, "admin")
    action = actions.record_action(writer, statutory, make_context(writer, area), _input())
    with pytest.raises(RegisterError) as refused:
        actions.publish_action(writer, statutory, action, "Youth workers visit on Fridays.")
    assert refused.value.code == "moderator_only" and action.published_at is None
    actions.publish_action(writer, moderator, action, "  Youth workers visit on Fridays.  ")
    assert action.public_summary == "Youth workers visit on Fridays." and action.published_by_id == moderator.user.id
    [event] = audit_rows(writer, "action.published")
    assert event.actor_id == moderator.user.id and event.detail["drafted_by"] == statutory.user.id
    with pytest.raises(RegisterError):
        actions.unpublish_action(writer, statutory, action)
    actions.unpublish_action(writer, admin, action)
    assert action.published_at is None and action.published_by_id is None


@pytest.mark.parametrize(
    ("summary", "code"),
    [
        ("   ", "summary_missing"),
        ("x" * 1001, "summary_too_long"),
        ("Call Dave on 07700 900123 about the lights.", "summary_personal_details"),
    ],
)
def test_the_public_words_are_refused_when_empty_too_long_or_personal(writer: Session, summary: str, code: str) -> None:
    area = make_area(writer)
    moderator = identity(writer, area, "moderator")
    action = actions.record_action(writer, moderator, make_context(writer, area), _input())
    with pytest.raises(RegisterError) as refused:
        actions.publish_action(writer, moderator, action, summary)
    assert refused.value.code == code
    assert action.published_at is None


def test_you_said_we_did_lists_the_areas_published_actions_newest_first(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    moderator, theirs = identity(writer, area, "moderator"), identity(writer, other, "moderator")
    park = make_context(writer, area, "Victoria Park")
    first, second, draft = (actions.record_action(writer, moderator, park, _input(title=t)) for t in ("One", "Two", "Draft"))
    actions.publish_action(writer, moderator, first, "First thing we did.")
    actions.publish_action(writer, moderator, second, "Second thing we did.")
    elsewhere = actions.record_action(writer, theirs, make_context(writer, other, "Market Square"), _input())
    actions.publish_action(writer, theirs, elsewhere, "Something in another town.")
    assert area.id is not None
    listed = actions.you_said_we_did(writer, area.id)
    assert [a.summary for a in listed] == ["Second thing we did.", "First thing we did."]
    assert {a.context_name for a in listed} == {"Victoria Park"}
    assert actions.get_action(writer, area.id, elsewhere.id) is None  # type: ignore[arg-type]
    assert actions.get_action(writer, area.id, draft.id) is not None  # type: ignore[arg-type]
