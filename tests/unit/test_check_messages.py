"""scripts/check_messages.py: plural forms counted in the raw file, and the review flag."""

from __future__ import annotations

import importlib.util
from io import BytesIO
from pathlib import Path
from types import ModuleType

from babel.messages.pofile import read_po

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_messages.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_messages", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HEADER = '''msgid ""
msgstr ""
"Language: {code}\\n"
"Plural-Forms: nplurals={n}; plural={expr};\\n"
"Content-Type: text/plain; charset=utf-8\\n"

'''

ENTRIES = '''#, reviewed
msgid "Exit this page"
msgstr "Gadael y dudalen hon"

msgid "Map"
msgstr "Map"

msgid "Untouched"
msgstr ""

msgid "%(num)s day"
msgid_plural "%(num)s days"
msgstr[0] "a"
msgstr[1] "b"
'''


def _check(code: str, n: int, expr: str, entries: str = ENTRIES) -> list[str]:
    text = HEADER.format(code=code, n=n, expr=expr) + entries
    catalog = read_po(BytesIO(text.encode()), locale=code)
    problems: list[str] = _script().plural_problems(code, text, catalog)
    return problems


def test_a_plural_entry_with_too_few_forms_is_caught() -> None:
    problems = _check("pl", 3, "(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)")
    assert problems == ['pl: 2 plural forms instead of 3 for msgid "%(num)s day"']


def test_a_header_with_the_wrong_number_of_forms_is_caught() -> None:
    assert _check("ar", 2, "(n != 1)") == ["ar: Plural-Forms says nplurals=2; ar has 6 forms."]


def test_an_expression_that_cannot_reach_every_form_is_caught() -> None:
    problems = _check("ro", 3, "(n==1 ? 0 : 1)", ENTRIES.replace('msgstr[1] "b"', 'msgstr[1] "b"\nmsgstr[2] "c"'))
    assert problems == ["ro: the Plural-Forms expression gives forms [0, 1], not 0 to 2."]


def test_right_plural_forms_pass() -> None:
    assert _check("so", 2, "(n != 1)") == []


def test_only_translations_without_the_reviewed_flag_await_review() -> None:
    script = _script()
    catalog = read_po(BytesIO((HEADER.format(code="cy", n=2, expr="(n != 1)") + ENTRIES).encode()), locale="cy")
    waiting = [m.id for m in catalog if m.id and script.awaits_review(m)]
    assert waiting == ["Map", ("%(num)s day", "%(num)s days")]
    assert [m.id for m in catalog if m.id and script.is_untranslated(m)] == ["Untouched"]


def test_every_shipped_and_drafted_catalogue_has_right_plural_forms() -> None:
    script = _script()
    for code in script.LOCALES:
        if code == script.DEFAULT_LOCALE:
            continue
        path = script.catalogue_path(code)
        assert script.plural_problems(code, path.read_text(encoding="utf-8"), script.load(code)) == [], code
