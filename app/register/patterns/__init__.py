"""Patterns across contexts ("trend spotting"): what rose this month, here and across the area.

Once a week (`safetymap patterns run`, from cron) each area's published unsafe entries of the last
`recent_weeks` complete weeks (default 4) are compared with the `baseline_weeks` before them
(default 12), and two kinds of pattern are looked for:

- **rising**: one context whose unsafe entries rose well above its own baseline;
- **shared**: several contexts that rose together in one thing they share: a theme (category), a
  time of day, days (school days, weekends), a neighbourhood (the area's own names, standing in for
  a road or route) or the kind of place in the gazetteer (transport, school, shop...).

Each module does one job:

- `models`: the tables (an area's thresholds, the patterns found, one row per weekly run);
- `detection`: the statistics, pure (planted data in, findings out), and why they are honest;
- `settings`: an area's thresholds as its admins set them (the form, its bounds and messages);
- `runs`: the weekly run: read the window, store what was found, email the statutory team;
- `words`: the shared things in words, for the email and the page;
- `page`: the patterns page (`app/register/pattern_routes.py`): each pattern with its evidence.

A pattern says what people told us, more often than before; it is a prompt for the register's
people to look, not a finding about any young person.
"""
