"""Outcomes for a context (the Contextual Safeguarding Contextual Outcomes Framework).

A context carries goals in plain words ("Young people feel safe walking home through the underpass"),
the responses meant to reach each goal (the context's actions, linked to it), and measures that show
progress: what is measured and how, a baseline, a target, and dated readings. Each goal has a review
date and a status. Every change is kept twice: its words in outcome_change (the goal's dated history,
staff-only like the assessment notes) and its codes in the audit log (never the words).

Beside them, for each action, the entries before and after it: what people told us in equal windows
either side of the action's start or completion date. These are what people told us, not proof that
something changed, and a window with fewer entries than the area's small-number rule (k) shows no
numbers at all.

Each module does one job:

- `models`: the tables, their codes and the words for them;
- `goals`: reading a context's goals, creating and changing them, linking actions, actions' dates;
- `measures`: a goal's measures and their dated readings;
- `windows`: the entries in equal windows before and after an action, under the small-number rule.

The pages are in `app/register/outcome_routes.py` and the context's profile (`app/register/profile.py`).
"""
