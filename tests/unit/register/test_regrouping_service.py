"""Merging and splitting contexts: what each refuses (and with which code), and what each writes:
entries, reports' "me too" links and actions moved, notes carried over with their history, the
source closed, a regrouping row and an audit entry."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.register import actions, regrouping
from app.register.models import (
    Action,
    Context,
    ContextNoteChange,
    ContextRegrouping,
    ContextStatusChange,
)
from app.register.service import RegisterError
from app.reports.models import Report
from tests import support_services
from tests.factories import make_area, make_context, make_published, make_report
from tests.support_services import audit_rows, identity

writer = support_services.writer  # the app's own write session, on each database (a fixture)


def _action(session: Session, staff: object, context: Context) -> Action:
    data = actions.ActionInput(title="New lights", owner_organisation="Council", response_type="environment", status="planned", due_date=None)
    return actions.record_action(session, staff, context, data)  # type: ignore[arg-type]


def test_merging_moves_entries_links_and_actions_and_closes_the_source(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "statutory")
    source = make_context(writer, area, "Canal towpath", strengths="Lock keeper knows the young people.", flagged_for_panel=True, panel_reason="Rising")
    target = make_context(writer, area, "Canal Walk", strengths="Good lighting at the bridge.")
    entries = [make_published(writer, area, source) for _ in range(2)]
    me_too = make_report(writer, area, me_too_context_id=source.id)
    action = _action(writer, staff, source)
    done = regrouping.merge_contexts(writer, staff, source, target, note="  the same stretch  ")
    writer.expire_all()
    assert {writer.get(Report, r.id).context_id for r in entries} == {target.id}  # type: ignore[union-attr]
    assert writer.get(Report, me_too.id).reported_context_id == target.id  # type: ignore[union-attr]
    assert writer.get(Action, action.id).context_id == target.id  # type: ignore[union-attr]
    closed, kept = writer.get(Context, source.id), writer.get(Context, target.id)
    assert closed is not None and kept is not None
    assert (closed.status, closed.merged_into_id, closed.flagged_for_panel) == ("closed", target.id, False)
    assert kept.flagged_for_panel and kept.panel_reason == "Rising"
    assert kept.strengths == "Good lighting at the bridge.\n\nCanal towpath: Lock keeper knows the young people."
    [note] = writer.exec(select(ContextNoteChange).where(ContextNoteChange.context_id == target.id)).all()
    assert (note.field, note.before) == ("strengths", "Good lighting at the bridge.")
    status = writer.exec(select(ContextStatusChange).where(ContextStatusChange.context_id == source.id)).all()
    assert [(s.to_status, s.note_code) for s in status][-1] == ("closed", "merged_into")
    assert (done.kind, done.entries, done.note, done.source_context_id, done.target_context_id) == ("merge", 2, "the same stretch", source.id, target.id)
    [event] = audit_rows(writer, "context.merged")
    assert event.detail["into"] == target.id and event.detail["entries"] == 2


def test_a_merge_is_refused_for_the_same_context_a_merged_one_or_another_area(writer: Session) -> None:
    area, other = make_area(writer), make_area(writer, "other-town")
    staff = identity(writer, area, "statutory")
    a, b, c = (make_context(writer, area, name) for name in ("A", "B", "C"))
    theirs = make_context(writer, other, "Market Square")
    for source, target, code in [(a, a, "merge_same"), (a, theirs, "not_found"), (theirs, a, "not_found")]:
        with pytest.raises(RegisterError) as refused:
            regrouping.merge_contexts(writer, staff, source, target)
        assert refused.value.code == code
    regrouping.merge_contexts(writer, staff, a, b)
    for source, target in [(a, c), (c, a)]:
        with pytest.raises(RegisterError) as refused:
            regrouping.merge_contexts(writer, staff, source, target)
        assert refused.value.code == "context_merged"
    assert len(writer.exec(select(ContextRegrouping)).all()) == 1


def test_splitting_moves_only_the_chosen_published_entries_into_a_new_context(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "statutory")
    source = make_context(writer, area, "High Street", neighbourhood="Town centre")
    moving, staying = make_published(writer, area, source), make_published(writer, area, source)
    new = regrouping.split_context(writer, staff, source, [moving.id], name="  Bus stop on High Street ", kind="place")  # type: ignore[list-item]
    writer.expire_all()
    assert (new.name, new.kind, new.h3_cell, new.neighbourhood, new.status) == ("Bus stop on High Street", "place", source.h3_cell, "Town centre", "new")
    assert writer.get(Report, moving.id).context_id == new.id  # type: ignore[union-attr]
    assert writer.get(Report, staying.id).context_id == source.id  # type: ignore[union-attr]
    [row] = writer.exec(select(ContextRegrouping)).all()
    assert (row.kind, row.entries, row.target_context_id) == ("split", 1, new.id)
    assert audit_rows(writer, "context.split")[0].detail["into"] == new.id
    online = regrouping.split_context(writer, staff, source, [staying.id], name="Group chat", kind="online")  # type: ignore[list-item]
    assert online.h3_cell is None and online.place_id is None  # an online space has no place on the map


@pytest.mark.parametrize(
    ("name", "kind", "code"),
    [("  ", "place", "name_missing"), ("Somewhere", "planet", "kind_unknown")],
)
def test_a_split_needs_a_name_and_a_known_kind(writer: Session, name: str, kind: str, code: str) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "statutory")
    source = make_context(writer, area)
    entry = make_published(writer, area, source)
    with pytest.raises(RegisterError) as refused:
        regrouping.split_context(writer, staff, source, [entry.id], name=name, kind=kind)  # type: ignore[list-item]
    assert refused.value.code == code


def test_a_split_refuses_entries_that_are_not_published_in_that_context(writer: Session) -> None:
    area = make_area(writer)
    staff = identity(writer, area, "statutory")
    source, elsewhere = make_context(writer, area, "High Street"), make_context(writer, area, "Canal Walk")
    mine = make_published(writer, area, source)
    not_mine = make_published(writer, area, elsewhere)
    pending = make_report(writer, area)
    for ids in ([not_mine.id], [mine.id, not_mine.id], [pending.id], []):
        with pytest.raises(RegisterError) as refused:
            regrouping.split_context(writer, staff, source, ids, name="New", kind="place")  # type: ignore[arg-type]
        assert refused.value.code == "entries_missing"
    assert len(writer.exec(select(Context)).all()) == 2  # no half-made context left behind
