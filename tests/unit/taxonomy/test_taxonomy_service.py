"""An area's co-designed categories and wording: versions are made, never edited, and every code is
named in the words of the version an entry was answered with (`category_names`)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.taxonomy import service as taxonomy
from app.taxonomy.defaults import default_categories, default_label
from app.taxonomy.models import TaxonomyCategory, TaxonomyVersion
from tests import support_services
from tests.factories import make_area, make_report
from tests.support_services import audit_rows

UNSAFE = default_categories("unsafe")

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _save(session: Session, area: object, **values: object) -> TaxonomyVersion:
    version = taxonomy.save_version(session, area, actor_id=None, **({"kind": "unsafe", "locale": "en", "labels": {}} | values))  # type: ignore[arg-type]
    session.commit()
    return version


def test_an_area_that_changed_nothing_offers_the_default_categories_and_wording(writer: Session) -> None:
    area = make_area(writer)
    assert taxonomy.current_version(writer, area.id) is None  # type: ignore[arg-type]
    offered = taxonomy.current_categories(writer, area, "unsafe", "en")
    assert [code for code, _ in offered] == UNSAFE
    assert offered[0][1] == default_label("unsafe", f"category:{UNSAFE[0]}", "en")
    assert taxonomy.question_wording(writer, area, "unsafe", "en", "where") == default_label("unsafe", "question:where", "en")


def test_saving_makes_the_next_version_and_leaves_the_old_one_as_it_was(writer: Session) -> None:
    area = make_area(writer)
    first = _save(writer, area, labels={f"category:{UNSAFE[0]}": "Our own words"}, note="  from the  youth forum ")
    second = _save(writer, area, hidden={UNSAFE[1]})
    assert (first.number, second.number) == (1, 2)
    assert first.note == "from the youth forum"
    assert taxonomy.current_version_id(writer, area.id) == second.id  # type: ignore[arg-type]
    old_rows = writer.exec(select(TaxonomyCategory).where(TaxonomyCategory.version_id == first.id, TaxonomyCategory.code == UNSAFE[1])).one()
    assert old_rows.hidden is False  # version 1 still reads as it did
    now = dict(taxonomy.current_categories(writer, area, "unsafe", "en"))
    assert UNSAFE[1] not in now and now[UNSAFE[0]] == "Our own words"
    assert dict(taxonomy.current_categories(writer, area, "unsafe", "en", version_id=first.id))[UNSAFE[1]]
    [event, _] = audit_rows(writer, "taxonomy.version_created")
    assert event.detail["number"] == 1 and event.detail["changed"] == [f"category:{UNSAFE[0]}"]


def test_saving_the_words_already_in_use_makes_no_version(writer: Session) -> None:
    area = make_area(writer)
    with pytest.raises(taxonomy.NoChange):
        _save(writer, area, labels={f"category:{UNSAFE[0]}": default_label("unsafe", f"category:{UNSAFE[0]}", "en")})
    _save(writer, area, labels={f"category:{UNSAFE[0]}": "Our own words"})
    with pytest.raises(taxonomy.NoChange):
        _save(writer, area, labels={f"category:{UNSAFE[0]}": "  Our   own words "})  # the same words, spaced differently
    assert len(taxonomy.versions(writer, area.id)) == 1  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"kind": "scary"}, "unknown_kind"),
        ({"locale": "pl"}, "unknown_locale"),  # a language the area does not offer
        ({"labels": {"category:not_a_code": "x"}}, "unknown_key"),
        ({"labels": {"question:not_a_question": "x"}}, "unknown_key"),
        ({"hidden": {"not_a_code"}}, "unknown_key"),
        ({"labels": {f"category:{UNSAFE[0]}": "x" * (taxonomy.LABEL_MAX + 1)}}, "too_long"),
        ({"added": ["y" * (taxonomy.LABEL_MAX + 1)]}, "too_long"),
    ],
)
def test_a_version_is_refused_with_the_code_of_what_is_wrong(writer: Session, values: dict[str, object], code: str) -> None:
    area = make_area(writer)
    with pytest.raises(taxonomy.TaxonomyError) as refused:
        _save(writer, area, **values)
    assert refused.value.code == code


def test_an_added_category_gets_its_own_code_after_the_defaults(writer: Session) -> None:
    area = make_area(writer)
    _save(writer, area, added=["Scooters on the path", "Scooters on the path!"])
    offered = taxonomy.current_categories(writer, area, "unsafe", "en")
    assert [code for code, _ in offered][-2:] == ["area_scooters_on_the_path", "area_scooters_on_the_path_2"]
    assert offered[-1][1] == "Scooters on the path!"
    assert "area_scooters_on_the_path" in taxonomy.allowed_category_codes(writer, area, "unsafe")
    assert "area_scooters_on_the_path" not in taxonomy.allowed_category_codes(writer, area, "safe")


def test_category_names_use_the_words_of_the_version_an_entry_was_answered_with(writer: Session) -> None:
    area = make_area(writer)
    code = UNSAFE[0]
    default_words = default_label("unsafe", f"category:{code}", "en")
    old_report = make_report(writer, area, categories=[code])  # answered before the area changed anything
    first = _save(writer, area, labels={f"category:{code}": "Dark paths"})
    _save(writer, area, labels={f"category:{code}": "Paths with no lights"})
    names = taxonomy.category_names(writer, area.id, locale="en")  # type: ignore[arg-type]
    assert old_report.taxonomy_version_id is None
    assert names.for_report(old_report) == [default_words]
    assert names(code, first.id, kind="unsafe") == "Dark paths"
    assert names(code) == "Paths with no lights"  # the version in force
    assert names("no_such_code") == "no_such_code"
    assert taxonomy.category_labels_for(writer, old_report, "en") == [default_words]


def test_a_hidden_area_category_keeps_its_words_for_the_entries_that_have_it(writer: Session) -> None:
    area = make_area(writer)
    _save(writer, area, added=["Scooters on the path"])
    report = make_report(writer, area, categories=["area_scooters_on_the_path"])
    assert report.category_list == ["area_scooters_on_the_path"]
    _save(writer, area, hidden={"area_scooters_on_the_path"})
    assert "area_scooters_on_the_path" not in dict(taxonomy.current_categories(writer, area, "unsafe", "en"))
    assert "area_scooters_on_the_path" in taxonomy.category_codes(writer, area.id)  # type: ignore[arg-type]
    names = taxonomy.category_names(writer, area.id, locale="en")  # type: ignore[arg-type]
    assert names.for_report(report) == ["Scooters on the path"]


def test_category_names_of_one_area_never_use_another_areas_words(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    _save(writer, other, labels={f"category:{UNSAFE[0]}": "Northwick words"})
    names = taxonomy.category_names(writer, area.id, locale="en")  # type: ignore[arg-type]
    assert names.current_version_id is None
    assert names(UNSAFE[0]) == default_label("unsafe", f"category:{UNSAFE[0]}", "en")


def test_the_cached_words_answer_as_the_queries_do(writer: Session) -> None:
    area = make_area(writer)
    _save(writer, area, labels={"question:where": "Where was it?"}, hidden={UNSAFE[0]})
    words = taxonomy.current_words(writer, area.id)  # type: ignore[arg-type]
    assert words.categories("unsafe", "en") == taxonomy.current_categories(writer, area, "unsafe", "en")
    assert words.wordings("unsafe", "en", ["where"]) == {"where": "Where was it?"}
    with pytest.raises(taxonomy.TaxonomyError):
        words.wordings("unsafe", "en", ["not_a_question"])


# --- Adopting the wording a workshop room chose -------------------------------------------------


def _asked(session: Session, votes_for: list[int], **ask: object) -> tuple[object, object, object, object]:
    """A workshop asks the room about the first unsafe category's words; each vote picks an option by position."""
    from app.core.live import InProcessBroker
    from app.workshops import service as workshops
    from app.workshops.schemas import WordingQuestionCreate
    from tests.factories import make_workshop
    from tests.support_services import identity

    area = make_area(session)
    staff = identity(session, area, "facilitator", "admin")
    workshop = make_workshop(session, area, staff.user)
    data = WordingQuestionCreate.model_validate({"kind": "unsafe", "key": f"category:{UNSAFE[0]}", "options": ["Dark paths", "No lights"]} | ask)
    question = workshops.ask_wording(session, area, staff, workshop, data, live=InProcessBroker())
    options = {option.position: option for option, _count in workshops.wording_results(session, [question])[0].options}
    for position in votes_for:
        who, _token = workshops.join(session, area, workshop.join_code, session_minutes=60)
        workshops.answer_wording(session, who, question.id, options[position].id, live=InProcessBroker())  # type: ignore[arg-type]
    return area, staff, workshop, question


def test_the_words_a_room_chose_become_the_next_version_once_adopted(writer: Session) -> None:
    from app.core.live import InProcessBroker
    from app.workshops import service as workshops

    area, staff, workshop, question = _asked(writer, votes_for=[1, 1, 2])
    with pytest.raises(workshops.WorkshopError) as still_open:
        workshops.adopt_wording(writer, area, staff, question.id)  # type: ignore[arg-type, attr-defined]
    assert still_open.value.code == "not_found"  # the room is still choosing
    assert workshops.adoptable(writer, area.id) == []  # type: ignore[attr-defined]
    workshops.close_wording(writer, staff, workshop, question.id, live=InProcessBroker())  # type: ignore[arg-type, attr-defined]
    [(_workshop, result)] = workshops.adoptable(writer, area.id)  # type: ignore[attr-defined]
    assert result.winner.text == "Dark paths"  # type: ignore[union-attr]
    assert workshops.adopt_wording(writer, area, staff, question.id) == 1  # type: ignore[arg-type, attr-defined]
    assert dict(taxonomy.current_categories(writer, area, "unsafe", "en"))[UNSAFE[0]] == "Dark paths"  # type: ignore[arg-type]
    version = taxonomy.current_version(writer, area.id)  # type: ignore[attr-defined]
    assert version is not None and version.note.startswith("Chosen at the workshop")
    assert workshops.adoptable(writer, area.id) == []  # type: ignore[attr-defined]
    assert audit_rows(writer, "workshop.wording_adopted")[0].actor_id == staff.user.id  # type: ignore[attr-defined]


def test_a_wording_question_nobody_answered_has_nothing_to_adopt(writer: Session) -> None:
    from app.core.live import InProcessBroker
    from app.workshops import service as workshops

    area, staff, workshop, question = _asked(writer, votes_for=[])
    workshops.close_wording(writer, staff, workshop, question.id, live=InProcessBroker())  # type: ignore[arg-type, attr-defined]
    with pytest.raises(workshops.WorkshopError) as refused:
        workshops.adopt_wording(writer, area, staff, question.id)  # type: ignore[arg-type, attr-defined]
    assert refused.value.code == "no_winner"
    other = make_area(writer, "other-town")
    with pytest.raises(workshops.WorkshopError) as elsewhere:
        workshops.adopt_wording(writer, other, staff, question.id)  # type: ignore[arg-type, attr-defined]
    assert elsewhere.value.code == "not_found"


def test_adopting_the_words_already_in_use_takes_the_question_off_the_list(writer: Session) -> None:
    from app.core.live import InProcessBroker
    from app.workshops import service as workshops

    area, staff, workshop, question = _asked(writer, votes_for=[0, 0, 1])  # the room keeps today's words
    workshops.close_wording(writer, staff, workshop, question.id, live=InProcessBroker())  # type: ignore[arg-type, attr-defined]
    workshops.adopt_wording(writer, area, staff, question.id)  # type: ignore[arg-type, attr-defined]
    assert taxonomy.versions(writer, area.id) == []  # type: ignore[attr-defined]  # nothing to change, no new version
    assert workshops.adoptable(writer, area.id) == []  # type: ignore[attr-defined]
