"""Fail when locales/messages.pot is stale or a shipped locale leaves a string untranslated."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.core.i18n import DEFAULT_LOCALE, LOCALES  # noqa: E402


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
        po = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            problems.append(f"{po.relative_to(ROOT)} is missing.")
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy or (isinstance(m.string, tuple) and not all(m.string)))]
        if untranslated:
            problems.append(f"{locale}: {len(untranslated)} untranslated or fuzzy strings, e.g. {untranslated[0]!r}.")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"Translations complete for {', '.join(LOCALES)}.")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
