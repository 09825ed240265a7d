"""Every table model, imported in one place so Alembic and the tests see the whole schema."""

from app.accounts.models import Membership, StaffSession, User
from app.areas.models import Area, Place
from app.audit.models import AuditEvent
from app.moderation.models import ModerationDecision, SafeguardingAlert
from app.register.models import Action, Context, ContextStatusChange
from app.reports.models import Report

__all__ = [
    "Action",
    "Area",
    "AuditEvent",
    "Context",
    "ContextStatusChange",
    "Membership",
    "ModerationDecision",
    "Place",
    "Report",
    "SafeguardingAlert",
    "StaffSession",
    "User",
]
