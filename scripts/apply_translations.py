"""Fill a locale's .po from a Python dict of msgid -> translation (used when a batch of strings lands).

Usage: python scripts/apply_translations.py LOCALE FILE.py  (FILE defines T = {msgid: msgstr} and,
optionally, PLURALS = [(singular msgid, [msgstr per plural form]), ...]). Existing translations are kept.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main(locale: str, source: str) -> int:
    path = Path("locales") / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    namespace = runpy.run_path(source)
    singles: dict[str, str] = namespace.get("T", {})
    plurals = dict(namespace.get("PLURALS", []))
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            forms = plurals.get(message.id[0])
            if forms and not all(message.string):
                message.string = tuple(forms)
                filled += 1
        elif message.id in singles and not message.string:
            message.string = singles[message.id]
            filled += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, width=76)
    print(f"{locale}: filled {filled} strings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
