"""Actions on a context (owner, due date, status) and their plain-words "You said, we did" version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.types import utcnow
from app.moderation.triage import find_personal_details
from app.register.models import Action, ActionStatus, Context, ResponseType
from app.register.outcomes.goals import dates_for_status
from app.register.service import RegisterError, touch


@dataclass(frozen=True)
class ActionInput:
    title: str
    owner_organisation: str
    response_type: str
    status: str
    due_date: date | None
    detail: str = ""
    public_summary: str = ""


def record_action(session: Session, staff: StaffIdentity, context: Context, data: ActionInput, *, decision_id: int | None = None) -> Action:
    errors = validate_action(data)
    if errors:
        raise RegisterError(errors[0])
    assert context.id is not None
    action = Action(
        area_id=context.area_id,
        context_id=context.id,
        title=data.title.strip(),
        owner_organisation=data.owner_organisation.strip(),
        response_type=data.response_type,
        status=data.status,
        due_date=data.due_date,
        detail=data.detail.strip(),
        public_summary=data.public_summary.strip(),
        created_by_id=staff.user.id,
        decision_id=decision_id,
    )
    dates_for_status(action, data.status, utcnow().date())
    session.add(action)
    session.flush()
    audit.record(session, "action.recorded", area_id=context.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id, context_id=context.id, response_type=data.response_type)
    touch(session, context)
    session.commit()
    return action


def validate_action(data: ActionInput) -> list[str]:
    errors = []
    if not data.title.strip():
        errors.append("title_missing")
    if not data.owner_organisation.strip():
        errors.append("owner_missing")
    if data.response_type not in {r.value for r in ResponseType}:
        errors.append("response_type_unknown")
    if data.status not in {s.value for s in ActionStatus}:
        errors.append("status_unknown")
    return errors


def get_action(session: Session, area_id: int, action_id: int) -> Action | None:
    action = session.get(Action, action_id)
    return action if action and action.area_id == area_id else None


def update_action(session: Session, staff: StaffIdentity, action: Action, *, status: str, due_date: date | None) -> None:
    if status not in {s.value for s in ActionStatus}:
        raise RegisterError("status_unknown")
    before = {"status": action.status, "due_date": action.due_date.isoformat() if action.due_date else None}
    if status != action.status:
        dates_for_status(action, status, utcnow().date())
    action.status = status
    action.due_date = due_date
    session.add(action)
    audit.record(
        session, "action.updated", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id,
        before=before, after={"status": status, "due_date": due_date.isoformat() if due_date else None},
    )
    session.commit()


def summary_problems(summary: str) -> list[str]:
    """Kinds of personal detail found in a plain-words summary (names, numbers, addresses...)."""
    return sorted({span.kind for span in find_personal_details(summary)})


def publish_action(session: Session, staff: StaffIdentity, action: Action, public_summary: str) -> None:
    """Put the plain-words version on "You said, we did" (and on linked receipts' /track).

    This is the moderation step for what the public reads: only a moderator (or an admin) may do it,
    it is a separate, deliberate step from recording the action, the personal-detail detector must
    find nothing in the words, and the audit log keeps who wrote the draft and who published it.
    """
    if not staff.has(Role.MODERATOR):
        raise RegisterError("moderator_only")
    summary = public_summary.strip()
    if not summary:
        raise RegisterError("summary_missing")
    if len(summary) > 1000:
        raise RegisterError("summary_too_long")
    if summary_problems(summary):
        raise RegisterError("summary_personal_details")
    before = {"published": action.published_at is not None}
    action.public_summary = summary
    action.published_at = utcnow()
    action.published_by_id = staff.user.id
    session.add(action)
    audit.record(
        session, "action.published", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id,
        before=before, after={"published": True}, drafted_by=action.created_by_id, context_id=action.context_id,
    )
    session.commit()


def unpublish_action(session: Session, staff: StaffIdentity, action: Action) -> None:
    if not staff.has(Role.MODERATOR):
        raise RegisterError("moderator_only")
    action.published_at = None
    action.published_by_id = None
    session.add(action)
    audit.record(session, "action.unpublished", area_id=action.area_id, actor_id=staff.user.id, subject_type="action", subject_id=action.id)
    session.commit()


@dataclass(frozen=True)
class PublicAction:
    context_name: str
    summary: str
    status: str
    response_type: str
    published_at: datetime


def you_said_we_did(session: Session, area_id: int, *, limit: int = 50) -> list[PublicAction]:
    query = (
        select(Action, Context.name)
        .join(Context, col(Context.id) == col(Action.context_id))
        .where(Action.area_id == area_id, col(Action.published_at).is_not(None))
        .order_by(col(Action.published_at).desc())
        .limit(limit)
    )
    return [
        PublicAction(name, action.public_summary, action.status, action.response_type, action.published_at)  # type: ignore[arg-type]
        for action, name in session.exec(query).all()
    ]
