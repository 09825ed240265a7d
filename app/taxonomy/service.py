"""Reading and changing an area's co-designed categories and question wording.

The public form asks `current_categories` and `question_wording`; both fall back to the defaults in
app.reports.taxonomy when the area has not changed a thing. Everything that shows a category code
(the register, moderation, exports, the API) names it through `category_names`. Admins save a new version (never edit an
old one), so every report can be shown in the words it was answered with.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.areas.models import Area
from app.audit import service as audit
from app.core import i18n
from app.reports.models import Report, ReportKind
from app.taxonomy.defaults import (
    QUESTION_KEYS,
    QUESTION_NAMES,
    category_key,
    default_categories,
    default_label,
    question_key,
    speaking,
)
from app.taxonomy.models import TaxonomyCategory, TaxonomyLabel, TaxonomyVersion

LABEL_MAX = 200
NOTE_MAX = 300

# (kind, code) -> (position, hidden, added_by_area)
CategoryState = dict[tuple[str, str], tuple[int, bool, bool]]
# (kind, key, locale) -> text
LabelState = dict[tuple[str, str, str], str]


class NoChange(ValueError):
    """The submitted words are the ones already in use: no new version is needed."""


class TaxonomyError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CategoryRow:
    code: str
    default_label: str
    label: str  # the area's own words in this language, or "" to use the default
    hidden: bool
    added_by_area: bool


@dataclass(frozen=True)
class QuestionRow:
    name: str
    what: str
    default_label: str
    label: str


def current_version(session: Session, area_id: int) -> TaxonomyVersion | None:
    query = select(TaxonomyVersion).where(TaxonomyVersion.area_id == area_id).order_by(col(TaxonomyVersion.number).desc())
    return session.exec(query.limit(1)).first()


def current_version_id(session: Session, area_id: int) -> int | None:
    """What a new report records as `taxonomy_version_id` (None while the area uses the defaults)."""
    version = current_version(session, area_id)
    return version.id if version else None


def versions(session: Session, area_id: int) -> list[TaxonomyVersion]:
    query = select(TaxonomyVersion).where(TaxonomyVersion.area_id == area_id).order_by(col(TaxonomyVersion.number).desc())
    return list(session.exec(query).all())


def _version_id(session: Session, area: Area, version_id: int | None) -> int | None:
    assert area.id is not None
    if version_id is not None:
        version = session.get(TaxonomyVersion, version_id)
        # A version of another area is never read: fall back to this area's current words.
        if version is not None and version.area_id == area.id:
            return version_id
    return current_version_id(session, area.id)


def _category_rows(session: Session, version_id: int, kind: str) -> list[TaxonomyCategory]:
    query = (
        select(TaxonomyCategory)
        .where(TaxonomyCategory.version_id == version_id, TaxonomyCategory.kind == kind)
        .order_by(col(TaxonomyCategory.position), col(TaxonomyCategory.id))
    )
    return list(session.exec(query).all())


def _labels(session: Session, version_id: int, kind: str) -> LabelState:
    query = select(TaxonomyLabel).where(TaxonomyLabel.version_id == version_id, TaxonomyLabel.kind == kind)
    return {(row.kind, row.key, row.locale): row.text for row in session.exec(query).all()}


def _label(labels: LabelState, kind: str, key: str, locale: str) -> str:
    """The area's words in this language, else the default, else the area's words in any language."""
    own = labels.get((kind, key, locale))
    if own:
        return own
    fallback = default_label(kind, key, locale)
    if fallback:
        return fallback
    others = [text for (k, label_key, _locale), text in sorted(labels.items()) if k == kind and label_key == key]
    return others[0] if others else key.partition(":")[2]


def current_categories(
    session: Session, area: Area, kind: str, locale: str, *, version_id: int | None = None
) -> list[tuple[str, str]]:
    """The categories people choose from for `kind`, as (code, label) in `locale`, in the area's order."""
    chosen = _version_id(session, area, version_id)
    if chosen is None:
        return [(code, default_label(kind, category_key(code), locale)) for code in default_categories(kind)]
    rows = _category_rows(session, chosen, kind)
    labels = _labels(session, chosen, kind)
    if not rows:
        return [(code, _label(labels, kind, category_key(code), locale)) for code in default_categories(kind)]
    return [(row.code, _label(labels, kind, category_key(row.code), locale)) for row in rows if not row.hidden]


def question_wording(
    session: Session, area: Area, kind: str, locale: str, question: str, *, version_id: int | None = None
) -> str:
    """The words of one question on the form ("where", "what", "kind_label", ... see QUESTION_KEYS)."""
    return question_wordings(session, area, kind, locale, (question,), version_id=version_id)[question]


def question_wordings(
    session: Session, area: Area, kind: str, locale: str, questions: Iterable[str], *, version_id: int | None = None
) -> dict[str, str]:
    """Several questions' words for one kind, from one read of the area's version and labels."""
    names = list(questions)
    if any(name not in QUESTION_KEYS for name in names):
        raise TaxonomyError("unknown_question")
    chosen = _version_id(session, area, version_id)
    if chosen is None:
        return {name: default_label(kind, question_key(name), locale) for name in names}
    labels = _labels(session, chosen, kind)
    return {name: _label(labels, kind, question_key(name), locale) for name in names}


def label_in_force(session: Session, area_id: int, kind: str, key: str, locale: str) -> str:
    """The words the area uses now for one label key (a question's or a category's)."""
    chosen = current_version_id(session, area_id)
    if chosen is None:
        return default_label(kind, key, locale)
    return _label(_labels(session, chosen, kind), kind, key, locale)


def category_labels_for(session: Session, report: Report, locale: str) -> list[str]:
    """A report's categories in the words it was answered with (even if since renamed or hidden)."""
    return category_names(session, report.area_id, locale=locale).for_report(report)


def allowed_category_codes(session: Session, area: Area, kind: str) -> set[str]:
    return {code for code, _label_text in current_categories(session, area, kind, "en")}


# --- Editing ---------------------------------------------------------------------------------


def editor_rows(session: Session, area: Area, kind: str, locale: str) -> tuple[list[CategoryRow], list[QuestionRow]]:
    assert area.id is not None
    categories, labels = _state(session, current_version_id(session, area.id))
    category_rows = [
        CategoryRow(
            code=code,
            default_label=default_label(kind, category_key(code), locale),
            label=labels.get((kind, category_key(code), locale), ""),
            hidden=hidden,
            added_by_area=added,
        )
        for (row_kind, code), (_position, hidden, added) in sorted(categories.items(), key=lambda item: item[1][0])
        if row_kind == kind
    ]
    with speaking(locale):
        names = {name: str(label) for name, label in QUESTION_NAMES.items()}
    question_rows = [
        QuestionRow(
            name=name,
            what=names[name],
            default_label=default_label(kind, question_key(name), locale),
            label=labels.get((kind, question_key(name), locale), ""),
        )
        for name in QUESTION_KEYS
    ]
    return category_rows, question_rows


def _state(session: Session, version_id: int | None) -> tuple[CategoryState, LabelState]:
    """A version as plain data; the defaults when there is no version yet. Every kind is complete."""
    categories: CategoryState = {}
    labels: LabelState = {}
    if version_id is not None:
        for row in session.exec(select(TaxonomyCategory).where(TaxonomyCategory.version_id == version_id)).all():
            categories[(row.kind, row.code)] = (row.position, row.hidden, row.added_by_area)
        for label in session.exec(select(TaxonomyLabel).where(TaxonomyLabel.version_id == version_id)).all():
            labels[(label.kind, label.key, label.locale)] = label.text
    for kind in ReportKind:
        if any(k == kind for k, _code in categories):
            continue
        for position, code in enumerate(default_categories(kind)):
            categories[(kind, code)] = (position, False, False)
    return categories, labels


def _new_code(label: str, taken: Iterable[str]) -> str:
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    base = "area_" + (re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:40] or "category")
    code, n, used = base, 2, set(taken)
    while code in used:
        code, n = f"{base}_{n}", n + 1
    return code


def save_version(
    session: Session,
    area: Area,
    *,
    actor_id: int | None,
    kind: str,
    locale: str,
    labels: dict[str, str],
    hidden: set[str] | None = None,
    added: Iterable[str] = (),
    note: str = "",
) -> TaxonomyVersion:
    """Make the next version: the current one with this kind's words in this language changed.

    `labels` maps keys to the area's words; a blank or the default's own words means "use the
    default". `hidden` (when given) is the full set of this kind's hidden category codes.
    """
    assert area.id is not None
    if kind not in {k.value for k in ReportKind}:
        raise TaxonomyError("unknown_kind")
    if locale not in area.locale_list:
        raise TaxonomyError("unknown_locale")
    current = current_version(session, area.id)
    categories, label_state = _state(session, current.id if current else None)
    before = (dict(categories), dict(label_state))
    codes = [code for (k, code) in categories if k == kind]

    for key, raw in labels.items():
        family, _, name = key.partition(":")
        if (family == "category" and name not in codes) or (family == "question" and name not in QUESTION_KEYS) or family not in {"category", "question"}:
            raise TaxonomyError("unknown_key")
        text = " ".join(raw.split())
        if len(text) > LABEL_MAX:
            raise TaxonomyError("too_long")
        if not text or text == default_label(kind, key, locale):
            label_state.pop((kind, key, locale), None)
        else:
            label_state[(kind, key, locale)] = text
    if hidden is not None:
        unknown = hidden - set(codes)
        if unknown:
            raise TaxonomyError("unknown_key")
        for code in codes:
            position, _was_hidden, added_by_area = categories[(kind, code)]
            categories[(kind, code)] = (position, code in hidden, added_by_area)
    next_position = max((categories[(kind, c)][0] for c in codes), default=-1) + 1
    for raw in added:
        text = " ".join(raw.split())
        if not text:
            continue
        if len(text) > LABEL_MAX:
            raise TaxonomyError("too_long")
        code = _new_code(text, [c for (k, c) in categories if k == kind])
        categories[(kind, code)] = (next_position, False, True)
        label_state[(kind, category_key(code), locale)] = text
        next_position += 1
    if (categories, label_state) == before:
        raise NoChange

    number = (current.number if current else 0) + 1
    version = TaxonomyVersion(area_id=area.id, number=number, note=" ".join(note.split())[:NOTE_MAX], created_by_id=actor_id)
    session.add(version)
    session.flush()
    assert version.id is not None
    for (row_kind, code), (position, is_hidden, added_by_area) in categories.items():
        session.add(TaxonomyCategory(version_id=version.id, kind=row_kind, code=code, position=position, hidden=is_hidden, added_by_area=added_by_area))
    for (row_kind, key, row_locale), text in label_state.items():
        session.add(TaxonomyLabel(version_id=version.id, kind=row_kind, key=key, locale=row_locale, text=text))
    label_keys = {key for (k, key, loc) in set(label_state) | set(before[1]) if k == kind and loc == locale}
    changed = {key for key in label_keys if label_state.get((kind, key, locale)) != before[1].get((kind, key, locale))}
    changed |= {category_key(code) for (k, code), value in categories.items() if k == kind and before[0].get((k, code)) != value}
    audit.record(
        session, "taxonomy.version_created", area_id=area.id, actor_id=actor_id, subject_type="taxonomy_version",
        subject_id=version.id, number=number, kind=kind, locale=locale, changed=sorted(set(changed)),
    )
    session.flush()
    return version


# --- One read of the current words, for the per-process area cache (app.areas.lookup) -----------


@dataclass(frozen=True)
class TaxonomyWords:
    """An area's current version as plain data: everything the public form asks, without a query.

    Immutable once built, so one copy serves every request thread until the area's words change.
    Answers match `current_categories`, `question_wordings` and `allowed_category_codes`.
    """

    version_id: int | None
    # kind -> the version's category rows for that kind, in order, as (code, hidden)
    rows: dict[str, tuple[tuple[str, bool], ...]]
    labels: LabelState

    def categories(self, kind: str, locale: str) -> list[tuple[str, str]]:
        if self.version_id is None:
            return [(code, default_label(kind, category_key(code), locale)) for code in default_categories(kind)]
        rows = self.rows.get(kind, ())
        if not rows:
            return [(code, _label(self.labels, kind, category_key(code), locale)) for code in default_categories(kind)]
        return [(code, _label(self.labels, kind, category_key(code), locale)) for code, hidden in rows if not hidden]

    def wordings(self, kind: str, locale: str, questions: Iterable[str]) -> dict[str, str]:
        names = list(questions)
        if any(name not in QUESTION_KEYS for name in names):
            raise TaxonomyError("unknown_question")
        if self.version_id is None:
            return {name: default_label(kind, question_key(name), locale) for name in names}
        return {name: _label(self.labels, kind, question_key(name), locale) for name in names}

    def wording(self, kind: str, locale: str, question: str) -> str:
        return self.wordings(kind, locale, (question,))[question]

    def allowed_codes(self, kind: str) -> set[str]:
        return {code for code, _label_text in self.categories(kind, "en")}


def current_words(session: Session, area_id: int) -> TaxonomyWords:
    """The area's current categories and wording in three small reads (version, rows, labels)."""
    version = current_version(session, area_id)
    if version is None or version.id is None:
        return TaxonomyWords(version_id=None, rows={}, labels={})
    rows: dict[str, list[tuple[str, bool]]] = {}
    query = (
        select(TaxonomyCategory)
        .where(TaxonomyCategory.version_id == version.id)
        .order_by(col(TaxonomyCategory.position), col(TaxonomyCategory.id))
    )
    for row in session.exec(query).all():
        rows.setdefault(row.kind, []).append((row.code, row.hidden))
    labels = {
        (label.kind, label.key, label.locale): label.text
        for label in session.exec(select(TaxonomyLabel).where(TaxonomyLabel.version_id == version.id)).all()
    }
    return TaxonomyWords(version_id=version.id, rows={kind: tuple(found) for kind, found in rows.items()}, labels=labels)


# --- Naming codes wherever they are shown: the register, moderation, exports, the API -----------


class _Current:
    """The marker for "no particular version": name a code as the version in force does."""


CURRENT = _Current()


@dataclass(frozen=True)
class _VersionWords:
    codes: dict[str, str]  # code -> its kind (the first kind that has it, in ReportKind order)
    kinds: dict[tuple[str, str], bool]  # (kind, code) -> present
    labels: LabelState


class CategoryNames:
    """The one way a category code becomes words, as the area's taxonomy has them.

    `names(code)` uses the version in force; `names(code, version_id)` the version an entry was
    answered with (None: the defaults, as the area had no version yet). A code that version does
    not have is named by the version in force, then by the newest older version that had it (an
    area-added category since hidden keeps its words), and only a code the area's taxonomy never
    had falls back to the default label (or, for an unknown code, the code itself).

    Everything is read once, when it is built, so templates and exports call it without a query
    and in whatever language is current when they call (or `locale`, when given).
    """

    def __init__(self, area_id: int, versions: list[tuple[int, _VersionWords]], locale: str | None = None) -> None:
        self.area_id = area_id
        self._versions = dict(versions)
        self._newest_first = [version_id for version_id, _words in versions]
        self._locale = locale

    @property
    def current_version_id(self) -> int | None:
        return self._newest_first[0] if self._newest_first else None

    def _speaking(self) -> str:
        return self._locale or i18n.get_locale()

    def __call__(self, code: str, version_id: int | _Current | None = CURRENT, *, kind: str | None = None) -> str:
        locale = self._speaking()
        order: list[int] = []
        if isinstance(version_id, int) and version_id in self._versions:
            order.append(version_id)
        elif version_id is None:
            # Answered with the defaults: their words first, for a code the defaults have.
            default = _default_category_label(code, kind, locale)
            if default:
                return default
        order += [v for v in self._newest_first if v not in order]
        for candidate in order:
            words = self._versions[candidate]
            found_kind = kind if kind and words.kinds.get((kind, code)) else words.codes.get(code)
            if found_kind:
                return _label(words.labels, found_kind, category_key(code), locale)
        return _default_category_label(code, kind, locale) or code

    def labels(self, codes: Iterable[str], version_id: int | _Current | None = CURRENT, *, kind: str | None = None) -> list[str]:
        return [self(code, version_id, kind=kind) for code in codes]

    def for_report(self, report: Report) -> list[str]:
        """A report's categories in the words it was answered with."""
        return self.labels(report.category_list, report.taxonomy_version_id, kind=report.kind)

    def in_locale(self, locale: str) -> CategoryNames:
        """The same names, always in `locale` (for an export written in its reader's language)."""
        names = CategoryNames(self.area_id, [], locale)
        names._versions, names._newest_first = self._versions, self._newest_first
        return names


def _default_category_label(code: str, kind: str | None, locale: str) -> str:
    kinds = [kind] if kind else [k.value for k in ReportKind]
    for candidate in kinds:
        text = default_label(candidate, category_key(code), locale)
        if text:
            return text
    return ""


def category_names(session: Session, area_id: int, *, locale: str | None = None) -> CategoryNames:
    """Every version of the area's categories, in two reads, ready to name any code."""
    numbers = session.exec(
        select(TaxonomyVersion.id, TaxonomyVersion.number).where(TaxonomyVersion.area_id == area_id)
    ).all()
    ordered = [version_id for version_id, _number in sorted(numbers, key=lambda row: row[1], reverse=True) if version_id is not None]
    if not ordered:
        return CategoryNames(area_id, [], locale)
    kind_order = {k.value: position for position, k in enumerate(ReportKind)}
    rows: dict[int, list[TaxonomyCategory]] = {version_id: [] for version_id in ordered}
    query = select(TaxonomyCategory).where(col(TaxonomyCategory.version_id).in_(ordered))
    for row in session.exec(query).all():
        rows[row.version_id].append(row)
    labels: dict[int, LabelState] = {version_id: {} for version_id in ordered}
    label_query = select(TaxonomyLabel).where(col(TaxonomyLabel.version_id).in_(ordered), col(TaxonomyLabel.key).startswith("category:"))
    for label in session.exec(label_query).all():
        labels[label.version_id][(label.kind, label.key, label.locale)] = label.text
    versions = []
    for version_id in ordered:
        found = sorted(rows[version_id], key=lambda row: (kind_order.get(row.kind, 99), row.position))
        codes: dict[str, str] = {}
        for row in found:
            codes.setdefault(row.code, row.kind)
        versions.append((version_id, _VersionWords(codes, {(row.kind, row.code): True for row in found}, labels[version_id])))
    return CategoryNames(area_id, versions, locale)


def area_categories(session: Session, area: Area, locale: str) -> dict[str, list[tuple[str, str]]]:
    """What people choose from now, for every kind: (code, words in `locale`), in the area's order."""
    return {kind.value: current_categories(session, area, kind.value, locale) for kind in ReportKind}


def category_codes(session: Session, area_id: int) -> list[str]:
    """Every code the area's version in force has (hidden ones too: older entries still carry them)."""
    version_id = current_version_id(session, area_id)
    if version_id is None:
        return [code for kind in ReportKind for code in default_categories(kind)]
    kind_order = {k.value: position for position, k in enumerate(ReportKind)}
    found = sorted(_all_category_rows(session, version_id), key=lambda row: (kind_order.get(row.kind, 99), row.position))
    return list(dict.fromkeys(row.code for row in found))


def _all_category_rows(session: Session, version_id: int) -> list[TaxonomyCategory]:
    return list(session.exec(select(TaxonomyCategory).where(TaxonomyCategory.version_id == version_id)).all())
