"""Merging two contexts takes the outcome goals along with the entries and actions."""

from __future__ import annotations

from sqlmodel import Session, select

from app.accounts.service import StaffIdentity
from app.register import regrouping
from app.register.outcomes.goals import GoalInput, create_goal
from app.register.outcomes.models import OutcomeGoal
from tests.factories import make_area, make_context, make_staff


def test_goals_move_to_the_context_they_were_merged_into(session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    staff = StaffIdentity(user=user, area=area, roles=frozenset({"statutory"}), session_id=0)
    underpass = make_context(session, area, "The underpass")
    subway = make_context(session, area, "Station subway")
    goal = create_goal(session, staff, underpass, GoalInput(title="Young people feel safe walking home through the underpass"))
    regrouping.merge_contexts(session, staff, underpass, subway)
    session.commit()
    moved = session.exec(select(OutcomeGoal).where(OutcomeGoal.id == goal.id)).one()
    assert moved.context_id == subway.id
