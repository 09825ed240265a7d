"""Per-context counts: what one entry adds, and that the counts kept as entries change always equal
the counts rebuilt from the entries, whatever happens in between (on both databases)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.core.db import Database
from app.moderation import service as moderation
from app.register import counts, regrouping
from app.register.models import Context
from app.reports import service as reports
from app.reports.models import Report, ReportStatus
from tests.factories import make_area, make_context, make_published, make_report, make_staff


@dataclass
class Entry:
    kind: str = "unsafe"
    created_at: datetime = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
    urgent: bool = False
    categories: str = "poor_lighting,followed_harassed"
    time_bands: str = "evening,night"
    days: str = ""
    source: str = "young_person"


def test_one_entry_adds_one_to_its_month_kind_themes_times_and_source() -> None:
    assert sorted(counts.contributions(Entry(urgent=True, days="weekends"))) == [
        ("day", "", "", "weekends"),
        ("entries", "2026-03", "unsafe", ""),
        ("source", "", "", "young_person"),
        ("theme", "2026-03", "unsafe", "followed_harassed"),
        ("theme", "2026-03", "unsafe", "poor_lighting"),
        ("time_band", "", "", "evening"),
        ("time_band", "", "", "night"),
        ("urgent", "2026-03", "unsafe", ""),
    ]


def test_a_code_given_twice_counts_once_and_empty_codes_not_at_all() -> None:
    keys = counts.contributions(Entry(categories="poor_lighting,,poor_lighting", time_bands="", source=""))
    assert [k for k in keys if k[0] == "theme"] == [("theme", "2026-03", "unsafe", "poor_lighting")]
    assert not [k for k in keys if k[0] == "time_band"]
    assert ("source", "", "", "unknown") in keys


def test_withdrawing_a_published_entry_takes_it_out_and_moves_the_last_entry_back(session: Session, db: Database) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    older = make_published(session, area, park, created_at=datetime.now(UTC) - timedelta(days=40))
    newer = make_published(session, area, park)
    with db.session(write=True) as own:
        report = own.get(Report, newer.id)
        assert report is not None
        reports.withdraw(own, report)
    session.expire_all()
    assert session.get(Context, park.id).last_entry_at == older.created_at  # type: ignore[union-attr]
    snapshot = counts.snapshot(session)
    assert sum(n for (_, key), n in snapshot.items() if key[0] == "entries") == 1


def _identity(session: Session, area: object) -> StaffIdentity:
    user = make_staff(session, area, "moderator", "statutory")  # type: ignore[arg-type]
    return StaffIdentity(user=user, area=area, roles=frozenset({"moderator", "statutory"}), session_id=0)  # type: ignore[arg-type]


def _last_entries(session: Session) -> dict[int | None, datetime | None]:
    return {c.id: c.last_entry_at for c in session.exec(select(Context)).all()}


def test_rebuilt_counts_equal_the_incremental_ones_after_random_changes(db: Database) -> None:
    rng = random.Random(20261208)
    with db.session(write=True) as session:
        area = make_area(session)
        staff = _identity(session, area)
        for name in ("Victoria Park", "Canal Walk", "Bus station"):
            make_context(session, area, name)
        kinds, themes = ["safe", "unsafe", "structural"], {"safe": ["trusted_adults"], "unsafe": ["poor_lighting", "followed_harassed"], "structural": ["nowhere_to_go"]}
        done = {"publish": 0, "reject": 0, "withdraw": 0, "merge": 0, "split": 0}
        for _ in range(70):
            session.expire_all()  # merge and split move entries in bulk: read them afresh
            open_contexts = session.exec(select(Context).where(col(Context.merged_into_id).is_(None))).all()
            published = session.exec(select(Report).where(Report.status == ReportStatus.PUBLISHED)).all()
            step = rng.choices(list(done), weights=[10, 2, 2, 1, 2])[0]
            if step in ("publish", "reject"):
                kind = rng.choice(kinds)
                report = make_report(
                    session, area, kind=kind, categories=rng.sample(themes[kind], 1), time_bands=rng.sample(["morning", "evening", "night"], rng.randint(1, 2)),
                    days=rng.sample(["weekdays", "weekends"], rng.randint(0, 1)),
                )
                report.created_at = datetime.now(UTC) - timedelta(days=rng.randint(0, 500))
                session.add(report)
                session.commit()
                if step == "publish":
                    new_name = "" if rng.random() < 0.8 else f"New place {done['publish']}"
                    moderation.publish(
                        session, staff, report, expected_version=report.version, public_description=report.description or "",
                        public_what_would_help="", accepted={}, context_id=None if new_name else rng.choice(open_contexts).id,
                        new_context_name=new_name, show_on_map=False,
                    )
                else:
                    moderation.reject(session, staff, report, expected_version=report.version, reason="duplicate")
            elif step == "withdraw" and published:
                reports.withdraw(session, rng.choice(published))
            elif step == "merge" and len(open_contexts) > 2:
                source, target = rng.sample(list(open_contexts), 2)
                regrouping.merge_contexts(session, staff, source, target)
            elif step == "split":
                by_context: dict[int, list[Report]] = {}
                for report in published:
                    by_context.setdefault(report.context_id, []).append(report)  # type: ignore[arg-type]
                movable = [(cid, rows) for cid, rows in by_context.items() if len(rows) > 1]
                if not movable:
                    continue
                context_id, rows = rng.choice(movable)
                source = session.get(Context, context_id)
                assert source is not None and source.merged_into_id is None
                chosen = rng.sample(rows, rng.randint(1, len(rows) - 1))
                regrouping.split_context(session, staff, source, [r.id for r in chosen if r.id], name=f"Split {done['split']}", kind="place")
            else:
                continue
            done[step] += 1
        session.expire_all()
        incremental, last_before = counts.snapshot(session), _last_entries(session)
        counts.rebuild(session)
        session.commit()
        session.expire_all()
        assert counts.snapshot(session) == incremental
        assert _last_entries(session) == last_before
    assert all(n > 0 for n in done.values()), done
    assert incremental
