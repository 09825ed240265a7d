"""Every table model, imported in one place so Alembic and the tests see the whole schema."""

from app.accounts.models import (
    AreaOidcConfig,
    Membership,
    OidcDomain,
    OidcLoginAttempt,
    StaffSession,
    User,
)
from app.areas.models import Area, Place
from app.audit.models import AuditEvent
from app.moderation.models import ModerationDecision, OutboxMessage, SafeguardingAlert, TriageLabel
from app.register.models import (
    Action,
    Context,
    ContextAggregate,
    ContextNoteChange,
    ContextRegrouping,
    ContextStatusChange,
    PanelDecision,
)
from app.reports.models import Report
from app.taxonomy.models import TaxonomyCategory, TaxonomyLabel, TaxonomyVersion
from app.workshops.models import (
    WordingAnswer,
    WordingOption,
    WordingQuestion,
    Workshop,
    WorkshopEntry,
    WorkshopEvent,
    WorkshopParticipant,
    WorkshopVote,
)

__all__ = [
    "Action",
    "Area",
    "AreaOidcConfig",
    "AuditEvent",
    "Context",
    "ContextAggregate",
    "ContextNoteChange",
    "ContextRegrouping",
    "ContextStatusChange",
    "Membership",
    "ModerationDecision",
    "OidcDomain",
    "OidcLoginAttempt",
    "OutboxMessage",
    "PanelDecision",
    "Place",
    "Report",
    "SafeguardingAlert",
    "StaffSession",
    "TaxonomyCategory",
    "TaxonomyLabel",
    "TaxonomyVersion",
    "TriageLabel",
    "User",
    "WordingAnswer",
    "WordingOption",
    "WordingQuestion",
    "Workshop",
    "WorkshopEntry",
    "WorkshopEvent",
    "WorkshopParticipant",
    "WorkshopVote",
]
