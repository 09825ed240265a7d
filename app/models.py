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
from app.equality.models import EqualityAnswer
from app.moderation.models import ModerationDecision, OutboxMessage, SafeguardingAlert, TriageLabel
from app.outreach.models import Campaign, OutreachCount, OutreachLink
from app.register.models import (
    Action,
    Context,
    ContextAggregate,
    ContextNoteChange,
    ContextRegrouping,
    ContextStatusChange,
    PanelDecision,
)
from app.register.outcomes.models import (
    OutcomeChange,
    OutcomeGoal,
    OutcomeGoalAction,
    OutcomeMeasure,
    OutcomeReading,
)
from app.register.patterns.models import Pattern, PatternRun, PatternSettings
from app.reports.models import Report
from app.reports.notice_models import ReporterNotice
from app.reports.questions import ReporterQuestion
from app.taxonomy.models import TaxonomyCategory, TaxonomyLabel, TaxonomyVersion
from app.workshops.models import (
    WalkRating,
    WalkStop,
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
    "Campaign",
    "Context",
    "ContextAggregate",
    "ContextNoteChange",
    "ContextRegrouping",
    "ContextStatusChange",
    "EqualityAnswer",
    "Membership",
    "ModerationDecision",
    "OidcDomain",
    "OidcLoginAttempt",
    "OutboxMessage",
    "OutcomeChange",
    "OutcomeGoal",
    "OutcomeGoalAction",
    "OutcomeMeasure",
    "OutcomeReading",
    "OutreachCount",
    "OutreachLink",
    "PanelDecision",
    "Pattern",
    "PatternRun",
    "PatternSettings",
    "Place",
    "Report",
    "ReporterNotice",
    "ReporterQuestion",
    "SafeguardingAlert",
    "StaffSession",
    "TaxonomyCategory",
    "TaxonomyLabel",
    "TaxonomyVersion",
    "TriageLabel",
    "User",
    "WalkRating",
    "WalkStop",
    "WordingAnswer",
    "WordingOption",
    "WordingQuestion",
    "Workshop",
    "WorkshopEntry",
    "WorkshopEvent",
    "WorkshopParticipant",
    "WorkshopVote",
]
