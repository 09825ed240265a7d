"""The default questions and categories for each kind of report.

Areas co-design their own wording; these defaults are what a new area starts with (app.taxonomy
keeps each area's own versions). To show a category code, ask the area's taxonomy
(`app.taxonomy.service.category_names`), never CATEGORIES: an area's added or renamed categories
are only there. Labels are translated when shown (lazy_gettext), codes are what the database keeps.
"""

from __future__ import annotations

from babel.support import LazyProxy

from app.core.i18n import lazy_gettext as _l
from app.reports.models import ReporterRole, ReportKind

KIND_LABELS: dict[str, LazyProxy] = {
    ReportKind.SAFE: _l("Somewhere I feel safe"),
    ReportKind.UNSAFE: _l("Somewhere I feel unsafe"),
    ReportKind.STRUCTURAL: _l("Something that needs to change"),
}

KIND_HINTS: dict[str, LazyProxy] = {
    ReportKind.SAFE: _l("A place where you feel OK, and what makes it feel that way."),
    ReportKind.UNSAFE: _l("A place where you feel worried or not safe."),
    ReportKind.STRUCTURAL: _l("Something missing or unfair, like nothing to do, no lights or being stopped a lot."),
}

CATEGORIES: dict[str, dict[str, LazyProxy]] = {
    ReportKind.UNSAFE: {
        "followed_harassed": _l("Being followed or harassed"),
        "fights_weapons": _l("Fights or weapons"),
        "drugs_carrying": _l("Drugs, or being asked to carry or hold things"),
        "adults_around_young_people": _l("Adults hanging around young people"),
        "no_one_around": _l("No one around to help"),
        "poor_lighting": _l("Poor lighting"),
        "racism_discrimination": _l("Racism or discrimination"),
        "online": _l("Something online"),
    },
    ReportKind.SAFE: {
        "trusted_adults": _l("Trusted adults are there"),
        "staff_who_help": _l("Staff who help"),
        "busy_well_lit": _l("Busy and well lit"),
        "somewhere_to_go": _l("Somewhere to go"),
        "friends": _l("My friends are there"),
    },
    ReportKind.STRUCTURAL: {
        "nothing_to_do": _l("Nothing for young people to do, or youth services closed"),
        "transport": _l("Transport"),
        "lighting_design": _l("Lighting and design"),
        "policing_stop_search": _l("Policing or stop and search"),
        "school_exclusion": _l("School exclusion"),
        "housing": _l("Housing"),
        "money": _l("Money"),
    },
}

TIME_BANDS: dict[str, LazyProxy] = {
    "morning": _l("Morning"),
    "afternoon": _l("Afternoon"),
    "evening": _l("Evening"),
    "night": _l("Night"),
    "all_the_time": _l("All the time"),
}

DAYS: dict[str, LazyProxy] = {
    "weekdays": _l("Weekdays"),
    "weekends": _l("Weekends"),
    "school_days": _l("School days"),
    "holidays": _l("School holidays"),
}

FEELINGS: dict[int, LazyProxy] = {
    1: _l("Very unsafe"),
    2: _l("A bit unsafe"),
    3: _l("Not sure"),
    4: _l("Quite safe"),
    5: _l("Very safe"),
}

AGE_BANDS: dict[str, LazyProxy] = {
    "under_11": _l("10 or under"),
    "11_13": _l("11 to 13"),
    "14_15": _l("14 to 15"),
    "16_17": _l("16 to 17"),
    "18_25": _l("18 to 25"),
    "over_25": _l("Over 25"),
}

REPORTER_ROLES: dict[str, LazyProxy] = {
    ReporterRole.YOUNG_PERSON: _l("A young person"),
    ReporterRole.PARENT_CARER: _l("A parent or carer"),
    ReporterRole.COMMUNITY_MEMBER: _l("A community member"),
    ReporterRole.PRACTITIONER: _l("A practitioner"),
}
