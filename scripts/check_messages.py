"""Check the translation catalogues; list what still awaits a fluent reviewer.

`python scripts/check_messages.py` (make messages-check) fails when
- locales/messages.pot is stale;
- a known locale (LOCALES) has no catalogue, or its plural forms are wrong: the header must give
  the number of forms the language has (Babel's CLDR data), the expression must reach each form and
  no other, and every plural entry must have exactly that many `msgstr[N]`;
- a shipped locale (SHIPPED_LOCALES) leaves a string untranslated or fuzzy. Known locales that
  have not shipped may have empty entries: their translations are being drafted.

`python scripts/check_messages.py --review xx` (make messages-review LOCALE=xx) lists the entries
of one catalogue that are translated but not yet checked by a fluent speaker. A fluent reviewer
marks an entry they have checked with the flag `#, reviewed` (kept by `pybabel update`); anything
without it, a newly drafted entry included, counts as awaiting review.
"""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.core.i18n import DEFAULT_LOCALE, LOCALES, REVIEWED_FLAG, SHIPPED_LOCALES  # noqa: E402


def catalogue_path(locale: str) -> Path:
    return ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def is_untranslated(message: Message) -> bool:
    string = message.string
    return not string or message.fuzzy or (isinstance(string, tuple) and not all(string))


def awaits_review(message: Message) -> bool:
    return not is_untranslated(message) and REVIEWED_FLAG not in message.flags


def plural_problems(locale: str, text: str, catalog: Catalog) -> list[str]:
    """Babel pads or drops msgstr[N] to the header's count when it reads a file, so the entries are
    counted in the raw text here."""
    problems: list[str] = []
    expected = get_plural(locale).num_plurals
    if catalog.num_plurals != expected:
        problems.append(f"{locale}: Plural-Forms says nplurals={catalog.num_plurals}; {locale} has {expected} forms.")
        return problems
    choose = gettext.c2py(catalog.plural_expr)
    reached = {choose(n) for n in range(1000)}
    if reached != set(range(expected)):
        problems.append(f"{locale}: the Plural-Forms expression gives forms {sorted(reached)}, not 0 to {expected - 1}.")
    for entry in re.split(r"\n\s*\n", text):
        lines = [line for line in entry.splitlines() if line and not line.startswith("#")]
        if not any(line.startswith("msgid_plural ") for line in lines):
            continue
        indices = [int(match.group(1)) for line in lines if (match := re.match(r"msgstr\[(\d+)\]", line))]
        if indices != list(range(expected)):
            first = next((line for line in lines if line.startswith("msgid")), "?")
            problems.append(f"{locale}: {len(indices)} plural forms instead of {expected} for {first}")
    return problems


def ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def main() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "--no-location",
             "-k", "_l", "-k", "lazy_gettext", "-o", str(fresh), "."],
            cwd=ROOT, check=True, capture_output=True,
        )
        committed = ROOT / "locales" / "messages.pot"
        if not committed.exists() or ids(fresh) != ids(committed):
            missing = ids(fresh) - (ids(committed) if committed.exists() else set())
            problems.append(f"locales/messages.pot is stale ({len(missing)} new strings); run `make messages-update`.")
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        po = catalogue_path(locale)
        if not po.exists():
            problems.append(f"{po.relative_to(ROOT)} is missing.")
            continue
        catalog = load(locale)
        if str(catalog.locale) != locale:
            problems.append(f"{po.relative_to(ROOT)}: its Language header says {catalog.locale}, not {locale}.")
        problems.extend(plural_problems(locale, po.read_text(encoding="utf-8"), catalog))
        not_merged = ids(ROOT / "locales" / "messages.pot") - {str(m.id) for m in catalog if m.id}
        if not_merged:
            problems.append(f"{locale}: {len(not_merged)} strings of messages.pot are not in its catalogue; run `make messages-update`.")
        if locale not in SHIPPED_LOCALES:
            continue
        untranslated = [m.id for m in catalog if m.id and is_untranslated(m)]
        if untranslated:
            problems.append(f"{locale}: {len(untranslated)} untranslated or fuzzy strings, e.g. {untranslated[0]!r}.")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        drafts = [code for code in LOCALES if code not in SHIPPED_LOCALES]
        print(f"Translations complete for {', '.join(SHIPPED_LOCALES)}; plural forms right in every catalogue"
              + (f" (still being drafted, not offered yet: {', '.join(drafts)})." if drafts else "."))
    return 1 if problems else 0


def review(locale: str) -> int:
    """Lists the entries of one catalogue that await a fluent reviewer; always succeeds."""
    if locale == DEFAULT_LOCALE or locale not in LOCALES or not catalogue_path(locale).exists():
        print(f"No catalogue to review for {locale!r}: choose one of {', '.join(c for c in LOCALES if c != DEFAULT_LOCALE)}.", file=sys.stderr)
        return 2
    messages = [m for m in load(locale) if m.id]
    waiting = [m for m in messages if awaits_review(m)]
    untranslated = [m for m in messages if is_untranslated(m)]
    reviewed = len(messages) - len(waiting) - len(untranslated)
    for message in waiting:
        source = message.id if isinstance(message.id, str) else message.id[0]
        translation = message.string if isinstance(message.string, str) else " | ".join(message.string)
        print(f"- {source}\n  = {translation}")
    print(f"{locale}: {len(messages)} strings: {reviewed} reviewed, {len(waiting)} translated and awaiting review"
          f" by a fluent speaker (listed above), {len(untranslated)} not translated yet.")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--review":
        raise SystemExit(review(sys.argv[2]))
    raise SystemExit(main())
