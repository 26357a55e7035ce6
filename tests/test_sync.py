"""ledger sync: a county and its townships in step, bundles going both ways."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

from ledger.errors import LedgerFileError, NotFound, Refused
from ledger.io.merge import merge_ledger
from ledger.services import Ledger, open_ledger
from ledger.services.demands import state_of

from .conftest import Cli, sign_as_sender

TOWNS = ("青石镇", "白关镇", "河口镇")


@contextlib.contextmanager
def at(path: Path, day: str, time: str = "09:00", user: str = "文书") -> Iterator[Ledger]:
    """A clerk's session on ``day`` at ``time`` (what the journal records as when)."""
    L = Ledger(open_ledger(path), today=date.fromisoformat(day), user=user,
               now=f"{day}T{time}:00+08:00")
    try:
        yield L
    finally:
        L.db.close()


def make_township(path: Path, name: str) -> None:
    with at(path, "2026-11-03", user=f"{name}文书") as L:
        L.registers.add_township(name)
        L.registers.add_village("东坪村")
        L.registers.add_unit("县住建局", "county")
        L.registers.add_unit(f"{name}司法所", "township")
        L.registers.add_cadre(f"{name}干部")
        L.residents.add("张秀兰", "东坪村", phone="13812345678")


def make_county(path: Path) -> None:
    with at(path, "2026-11-03", user="县社工部") as L:
        L.sync.set_name("县社工部")
        L.registers.add_unit("县水利局", "county")


def escalated_case(L: Ledger, text: str, on: str) -> str:
    number = L.demands.add(text, village="东坪村", resident="张秀兰", on=on)
    L.demands.escalate(number, reason="村里解决不了", on=on)
    L.demands.escalate(number, reason="需县里协调", on=on)
    return number


def send(src: Path, dst: Path, bundle: Path, day: str, to: str | None = None) -> None:
    with at(src, day, "17:00") as L:
        L.sync.export(bundle, to, force=True)


def take(dst: Path, bundle: Path, day: str) -> object:
    with at(dst, day, "17:30") as L:
        return L.sync.import_(bundle)


def states(path: Path) -> dict[tuple[str, str], dict]:
    """Every case by its global identity (home ledger, number there) -> its state, with the
    ids (which are each ledger's own) given as the names they stand for."""
    with at(path, "2026-12-01") as L:
        me = L.registers.ledger_id()
        names = {t: dict(L.db.execute(f"select id, name from {t}").fetchall())
                 for t in ("units", "villages", "grids", "residents")}
        visits = dict(L.db.execute("select id, visited_on from visits").fetchall())
        out = {}
        for r in L.db.query("select * from demands"):
            s = state_of(r)
            s["lead_unit_id"] = names["units"].get(s["lead_unit_id"])
            s["co_unit_ids"] = [names["units"][u] for u in s["co_unit_ids"]]
            s["summoned"] = [(names["units"][u], on) for u, on in s["summoned"]]
            s["co_signed"] = [(names["units"][u], on) for u, on in s["co_signed"]]
            for key, table in (("village_id", "villages"), ("grid_id", "grids"),
                               ("resident_id", "residents")):
                s[key] = names[table].get(s[key])
            s["visit_id"] = visits.get(s["visit_id"])
            out[(r["origin_ledger"] or me, r["origin_number"] or r["number"])] = s
        return out


def check_passes(path: Path) -> None:
    with at(path, "2026-12-01") as L:
        problems = L.checks.problems(L.checks.run())
        assert problems == [], [(f.key, f.params) for f in problems]


@pytest.fixture
def county_and_towns(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    county = tmp_path / "县汇总.db"
    make_county(county)
    towns = {}
    for name in TOWNS:
        towns[name] = tmp_path / f"{name}.db"
        make_township(towns[name], name)
    return county, towns


def test_several_weeks_both_ways(county_and_towns, tmp_path: Path) -> None:
    county, towns = county_and_towns
    b = tmp_path / "bundles"
    b.mkdir()
    # Week 1: each township records, settles a small thing, escalates one to the county.
    cases = {}
    for name, path in towns.items():
        with at(path, "2026-11-03", "10:00", f"{name}文书") as L:
            cases[name] = escalated_case(L, f"{name}:房屋漏水需鉴定", "2026-11-03")
            small = L.demands.add("路灯坏了", village="东坪村", on="2026-11-03")
            L.demands.settle(small, result="当场报修", on="2026-11-03")
        send(path, county, b / f"{name}-w1.bundle", "2026-11-03")       # first time: everything
    for name in TOWNS:
        r = take(county, b / f"{name}-w1.bundle", "2026-11-04")
        assert (r.demands, r.updated) == (2, 0)
    # The county assigns each escalated case; it resolves 青石镇's.
    with at(county, "2026-11-06", "10:00", "县社工部") as L:
        for name in TOWNS:
            L.demands.assign(f"{name}:{cases[name]}", unit="县住建局", on="2026-11-05")
        L.demands.resolve(f"青石镇:{cases['青石镇']}", result="已鉴定并维修", on="2026-11-06")
        assert L.demands.row(f"青石镇:{cases['青石镇']}")["status"] == "resolved"
    for name in TOWNS:
        send(county, towns[name], b / f"county-to-{name}-w1.bundle", "2026-11-06", to=name)
    # Each township's bundle holds the county's steps on its own case, and only those.
    for name in TOWNS:
        with contextlib.closing(sqlite3.connect(b / f"county-to-{name}-w1.bundle")) as c:
            assert c.execute("select count(*), group_concat(distinct action) from events"
                             ).fetchone() == ((2, "assign,resolve") if name == "青石镇"
                                              else (1, "assign"))
            assert c.execute("select group_concat(home_number) from demands").fetchone() == (
                cases[name],)
    for name in TOWNS:
        r = take(towns[name], b / f"county-to-{name}-w1.bundle", "2026-11-06")
        assert (r.events, r.demands, r.updated) == ((2 if name == "青石镇" else 1), 0, 1)
    with at(towns["青石镇"], "2026-11-06") as L:
        d = L.demands.show(cases["青石镇"])
        assert d["status"] == "resolved" and d["unit"] == "县住建局"
        assert [(e["action"], e["ledger"]) for e in d["events"]] == [
            ("accept", None), ("escalate", None), ("escalate", None),
            ("assign", "县社工部"), ("resolve", "县社工部")]

    # Week 2: 青石镇 follows up and closes, and takes a new case; 白关镇 sends its bundle twice;
    # 河口镇 sends nothing this week.
    with at(towns["青石镇"], "2026-11-10", "10:00") as L:
        L.demands.follow_up(cases["青石镇"], satisfaction="满意", on="2026-11-10")
        L.demands.close(cases["青石镇"], on="2026-11-10")
        new = L.demands.add("宅基地边界纠纷", village="东坪村", on="2026-11-10")
    with at(towns["白关镇"], "2026-11-10", "10:00") as L:
        L.demands.add("噪声扰民", village="东坪村", on="2026-11-10")
    with at(towns["河口镇"], "2026-11-10", "10:00") as L:
        L.demands.add("养犬扰民", village="东坪村", on="2026-11-10")
    send(towns["青石镇"], county, b / "青石镇-w2.bundle", "2026-11-10", to="县社工部")
    send(towns["白关镇"], county, b / "白关镇-w2.bundle", "2026-11-10", to="县社工部")
    r = take(county, b / "青石镇-w2.bundle", "2026-11-11")
    assert (r.events, r.demands, r.updated) == (3, 1, 1)  # follow-up and close; the new case
    r = take(county, b / "白关镇-w2.bundle", "2026-11-11")
    assert (r.events, r.demands) == (1, 1)
    with at(county, "2026-11-11") as L:
        before = L.db.execute("select count(*) from journal where subject = 'demand'").fetchone()
    r = take(county, b / "白关镇-w2.bundle", "2026-11-11")  # the same bundle again
    assert (r.events, r.demands, r.updated) == (0, 0, 0)
    with at(county, "2026-11-11") as L:
        assert L.db.execute("select count(*) from journal where subject = 'demand'"
                            ).fetchone() == before
        assert L.demands.row(f"青石镇:{cases['青石镇']}")["status"] == "closed"
        assert L.demands.row(f"青石镇:{new}")["text"] == "宅基地边界纠纷"
        # The county resolves 白关镇's case in week 2 too.
        L.demands.resolve(f"白关镇:{cases['白关镇']}", result="已维修", on="2026-11-11")
    # An older bundle after a newer one adds nothing.
    r = take(towns["青石镇"], b / "county-to-青石镇-w1.bundle", "2026-11-12")
    assert (r.events, r.demands, r.updated) == (0, 0, 0)

    # Week 3: 河口镇 catches up (its bundle covers the skipped week); the county answers all.
    with at(towns["河口镇"], "2026-11-17", "10:00") as L:
        L.demands.add("排水沟堵塞", village="东坪村", on="2026-11-17")
    send(towns["河口镇"], county, b / "河口镇-w3.bundle", "2026-11-17", to="县社工部")
    r = take(county, b / "河口镇-w3.bundle", "2026-11-18")
    assert (r.events, r.demands) == (2, 2)  # the week-2 case and the week-3 case
    for name in TOWNS:
        send(county, towns[name], b / f"county-to-{name}-w3.bundle", "2026-11-18", to=name)
        take(towns[name], b / f"county-to-{name}-w3.bundle", "2026-11-18")
    # 白关镇's late bundle of week 2, imported again after all that: nothing.
    r = take(county, b / "白关镇-w2.bundle", "2026-11-19")
    assert (r.events, r.demands, r.updated) == (0, 0, 0)

    # Every shared case is in the same state on every side, and every ledger checks.
    at_county = states(county)
    for name, path in towns.items():
        mine = states(path)
        assert len(mine) == {"青石镇": 3, "白关镇": 3, "河口镇": 4}[name]
        for key, state in mine.items():
            assert at_county[key] == state, (name, key)
    assert len(at_county) == 10
    for path in (county, *towns.values()):
        check_passes(path)
    assert states(towns["白关镇"])[next(k for k in states(towns["白关镇"])
                                      if k[1] == cases["白关镇"])]["status"] == "resolved"
    # Each side counts by its own rules: the county's week of 11-10 received the two new
    # township cases of that week (河口镇's arrived late, but was received on 11-10).
    with at(county, "2026-11-19") as L:
        week = L.reports.summary(date(2026, 11, 10))
        assert week["received"] == 3
        card = {r["name"]: r for r in L.reports.card("unit", "2026-11-01", "2026-11-30")["rows"]}
        assert (card["县住建局"]["received"], card["县住建局"]["resolved"]) == (3, 2)
    with at(towns["青石镇"], "2026-11-19") as L:
        assert L.reports.summary(date(2026, 11, 10))["received"] == 1
        card = {r["name"]: r for r in L.reports.card("unit", "2026-11-01", "2026-11-30")["rows"]}
        assert (card["县住建局"]["received"], card["县住建局"]["resolved"]) == (1, 1)
    with at(county, "2026-11-19") as L:
        status = {p["name"]: p for p in L.sync.status()["peers"]}
        assert set(status) == set(TOWNS)
        assert status["河口镇"]["bundles_in"] == 2 and status["河口镇"]["bundles_out"] == 2
        # 青石镇 has acknowledged all the county sent it up to week 2 (its bundle of week 2
        # carried the acknowledgement of the county's bundle of week 1).
        assert 0 < status["青石镇"]["acked_upto"] < status["青石镇"]["sent_upto"]


def test_a_conflict_is_listed_on_both_sides_then_settled(county_and_towns, tmp_path: Path) -> None:
    county, towns = county_and_towns
    town = towns["青石镇"]
    b = tmp_path
    with at(town, "2026-11-03", "10:00") as L:
        n = escalated_case(L, "屋顶漏水", "2026-11-03")
    send(town, county, b / "t1.bundle", "2026-11-03")
    take(county, b / "t1.bundle", "2026-11-03")
    with at(county, "2026-11-05", "10:00") as L:
        L.demands.assign(f"青石镇:{n}", unit="县住建局", on="2026-11-04")
        L.demands.resolve(f"青石镇:{n}", result="已维修", on="2026-11-05")
    send(county, town, b / "c1.bundle", "2026-11-05", to="青石镇")
    take(town, b / "c1.bundle", "2026-11-05")
    # On the same day the county reopens the case (08:00) and the township, not knowing,
    # follows it up and closes it (09:00).
    with at(county, "2026-11-09", "08:00") as L:
        L.demands.reopen(f"青石镇:{n}", reason="群众反映仍漏水", on="2026-11-09")
    with at(town, "2026-11-09", "09:00") as L:
        L.demands.follow_up(n, satisfaction="满意", on="2026-11-09")
        L.demands.close(n, on="2026-11-09")
    send(town, county, b / "t2.bundle", "2026-11-09", to="县社工部")
    send(county, town, b / "c2.bundle", "2026-11-09", to="青石镇")
    assert take(county, b / "t2.bundle", "2026-11-09").conflicts == 2
    assert take(town, b / "c2.bundle", "2026-11-09").conflicts == 2
    for path, number in ((county, f"青石镇:{n}"), (town, n)):
        with at(path, "2026-11-09") as L:
            rows = L.sync.conflicts()
            assert [(r["number"], r["action"], r["ledger"], r["why"]) for r in rows] == [
                (number, "follow_up", "青石镇", "step.follow_up.from_open"),
                (number, "close", "青石镇", "step.close.from_open")]
            assert L.demands.row(number)["status"] == "open"  # the reopening stands
            # and the week's summary does not count the refused close
            assert L.reports.summary(date(2026, 11, 9))["closed"] == 0
            findings = L.checks.problems(L.checks.run())
            assert [f.key for f in findings] == ["check.sync_conflict"] * 2
            d = L.demands.show(number)
            assert [e["conflict"] for e in d["events"]][-3:] == [False, True, True]
    assert states(county) == states(town)
    # A person settles it at the county with an ordinary step; the step travels.
    with at(county, "2026-11-10", "10:00") as L:
        L.demands.resolve(f"青石镇:{n}", result="再次维修,已不漏", on="2026-11-10")
        assert L.sync.conflicts() == []
        assert len(L.sync.conflicts(settled=True)) == 2
    send(county, town, b / "c3.bundle", "2026-11-10", to="青石镇")
    r = take(town, b / "c3.bundle", "2026-11-10")
    assert (r.events, r.conflicts) == (1, 0)
    with at(town, "2026-11-11", "10:00") as L:
        assert L.sync.conflicts() == []
        L.demands.follow_up(n, satisfaction="满意", on="2026-11-11")
        L.demands.close(n, on="2026-11-11")
    send(town, county, b / "t3.bundle", "2026-11-11", to="县社工部")
    take(county, b / "t3.bundle", "2026-11-11")
    assert states(county) == states(town)
    assert states(town)[next(iter(states(town)))]["status"] == "closed"
    for path in (county, town):
        check_passes(path)


def test_a_bundle_is_checked_before_anything_is_written(county_and_towns, tmp_path: Path) -> None:
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        escalated_case(L, "屋顶漏水", "2026-11-03")
    good = tmp_path / "good.bundle"
    send(town, county, good, "2026-11-03")

    def journal_count() -> int:
        with at(county, "2026-11-04") as L:
            return L.db.execute("select count(*) from journal").fetchone()[0]

    before = journal_count()
    # A changed row: the sender's chain does not match.
    bad = tmp_path / "bad.bundle"
    shutil.copy(good, bad)
    with contextlib.closing(sqlite3.connect(bad)) as c:
        c.execute("update events set data = replace(data, '屋顶漏水', '屋顶漏雨') where action = "
                  "'accept'")
        c.commit()
    with pytest.raises(Refused) as e, at(county, "2026-11-04") as L:
        L.sync.import_(bad)
    assert e.value.key == "sync.bad_signature"  # changed on the way: its signature says so
    sign_as_sender(bad)  # signed again by the sender itself: the chain still says so
    with pytest.raises(Refused) as e, at(county, "2026-11-04") as L:
        L.sync.import_(bad)
    assert e.value.key == "sync.tampered"
    assert journal_count() == before
    # A row taken out of the middle: the next one no longer links to the one above it.
    cut = tmp_path / "cut.bundle"
    shutil.copy(good, cut)
    with contextlib.closing(sqlite3.connect(cut)) as c:
        c.execute("delete from events where action = 'escalate' and id = (select min(id) from "
                  "events where action = 'escalate')")
        c.commit()
    sign_as_sender(cut)
    with pytest.raises(Refused) as e, at(county, "2026-11-04") as L:
        L.sync.import_(cut)
    assert e.value.key == "sync.tampered"
    assert journal_count() == before
    # Not a bundle at all; a bundle of this very ledger; a bundle made for someone else.
    junk = tmp_path / "junk.bundle"
    junk.write_bytes(b"PK\x03\x04 not a bundle" * 50)
    with pytest.raises(Refused) as e, at(county, "2026-11-04") as L:
        L.sync.import_(junk)
    assert e.value.key == "sync.not_bundle"
    with pytest.raises(LedgerFileError), at(county, "2026-11-04") as L:
        L.sync.import_(tmp_path / "missing.bundle")
    with pytest.raises(Refused) as e, at(town, "2026-11-04") as L:
        L.sync.import_(good)
    assert e.value.key == "sync.own_bundle"
    take(county, good, "2026-11-04")
    send(towns["白关镇"], county, tmp_path / "b.bundle", "2026-11-04")
    take(county, tmp_path / "b.bundle", "2026-11-04")
    send(county, town, tmp_path / "to-qingshi.bundle", "2026-11-04", to="青石镇")
    with pytest.raises(Refused) as e, at(towns["白关镇"], "2026-11-05") as L:
        L.sync.import_(tmp_path / "to-qingshi.bundle")
    assert e.value.key == "sync.not_for_us"
    # An unknown --to is refused with the known ledgers listed.
    with pytest.raises(NotFound) as e, at(county, "2026-11-05") as L:
        L.sync.export(tmp_path / "x.bundle", "东风镇")
    assert e.value.params["choices"] == ["白关镇", "青石镇"]
    assert not (tmp_path / "x.bundle").exists()


def test_a_gap_is_refused_until_the_missing_bundle_arrives(county_and_towns, tmp_path: Path) -> None:
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        n = escalated_case(L, "屋顶漏水", "2026-11-03")
    send(town, county, tmp_path / "1.bundle", "2026-11-03")
    fresh = tmp_path / "县汇总-备份.db"
    shutil.copy(county, fresh)  # a backup of the county's file, from before that bundle
    take(county, tmp_path / "1.bundle", "2026-11-03")
    # The county's answer (with its acknowledgement) reaches the township ...
    with at(county, "2026-11-04", "10:00") as L:
        L.demands.assign(f"青石镇:{n}", unit="县住建局", on="2026-11-04")
    send(county, town, tmp_path / "c.bundle", "2026-11-04", to="青石镇")
    take(town, tmp_path / "c.bundle", "2026-11-04")
    # ... so the township's next bundle starts where the county said it had got to. A
    # county file restored from an old backup has not got that far: the bundle is refused.
    with at(town, "2026-11-05", "10:00") as L:
        L.demands.notify(n, text="已联系县住建局", on="2026-11-05")
    send(town, county, tmp_path / "2.bundle", "2026-11-05", to="县社工部")
    with pytest.raises(Refused) as e, at(fresh, "2026-11-05") as L:
        L.sync.import_(tmp_path / "2.bundle")
    assert e.value.key == "sync.gap"
    take(fresh, tmp_path / "1.bundle", "2026-11-05")   # the missing one first
    r = take(fresh, tmp_path / "2.bundle", "2026-11-05")
    assert r.events == 1


def test_undo_of_a_step_already_sent_is_refused(county_and_towns, tmp_path: Path) -> None:
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        n = escalated_case(L, "屋顶漏水", "2026-11-03")
        L.demands.notify(n, text="已上报", on="2026-11-03")
    send(town, county, tmp_path / "1.bundle", "2026-11-03")
    with pytest.raises(Refused) as e, at(town, "2026-11-03", "18:00") as L:
        L.history.undo()
    assert e.value.key == "undo.already_sent"
    take(county, tmp_path / "1.bundle", "2026-11-03")
    with pytest.raises(Refused) as e, at(county, "2026-11-03", "18:00") as L:
        L.history.undo()  # the import itself
    assert e.value.key == "undo.cannot"


def test_a_re_merge_brings_every_new_step(tmp_path: Path) -> None:
    """The issue's case: merge, the township resolves a case and adds one, merge again."""
    town = tmp_path / "青石镇.db"
    make_township(town, "青石镇")
    with at(town, "2026-11-03", "10:00") as L:
        n = escalated_case(L, "屋顶漏水", "2026-11-03")
        L.demands.assign(n, unit="县住建局", on="2026-11-03")
    county = tmp_path / "县汇总.db"
    make_county(county)
    with at(county, "2026-11-04") as L:
        assert merge_ledger(L, town).demands == 1
    with at(town, "2026-11-05", "10:00") as L:
        L.demands.resolve(n, result="已维修", on="2026-11-05")
        m = L.demands.add("路灯坏了", village="东坪村", on="2026-11-05")
    with at(county, "2026-11-06") as L:
        r = merge_ledger(L, town)
        assert (r.demands, r.updated, r.events) == (1, 1, 2)
        assert L.demands.row(f"青石镇:{n}")["status"] == "resolved"
        assert L.demands.row(f"青石镇:{m}")["status"] == "open"
        # A number typed alone finds the township's case when only one ledger has it.
        assert L.demands.row(m)["number"] == f"青石镇:{m}"
    check_passes(county)


def test_sync_through_the_cli(county_and_towns, tmp_path: Path, monkeypatch) -> None:
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        n = escalated_case(L, "屋顶漏水", "2026-11-03")
    monkeypatch.chdir(tmp_path)
    cli = Cli(town)
    r = cli("sync", "export", "--db", str(town), today="2026-11-03")
    assert r.exit_code == 0, r.output
    bundle = tmp_path / "青石镇-2026-11-03.bundle"
    assert bundle.is_file() and "事件 3 条,涉及诉求 1 件" in r.output
    if os.name == "posix":  # it holds phones and ID numbers in full: its owner's only
        assert bundle.stat().st_mode & 0o777 == 0o600
    r = cli("sync", "import", str(bundle), "--db", str(county), today="2026-11-04")
    assert r.exit_code == 0 and "新诉求 1 件" in r.output, r.output
    r = cli("issue", "show", f"青石镇:{n}", "--db", str(county), today="2026-11-04")
    assert r.exit_code == 0 and "屋顶漏水" in r.output
    r = cli("sync", "status", "--format", "json", "--db", str(county))
    assert r.exit_code == 0 and '"name": "青石镇"' in r.output
    r = cli("sync", "conflicts", "--db", str(county))
    assert r.exit_code == 0 and "没有待处理的冲突" in r.output
    r = cli("sync", "import", str(tmp_path / "nope.bundle"), "--db", str(county))
    assert r.exit_code == 1 and "Traceback" not in r.output
    (tmp_path / "junk.bundle").write_text("junk", encoding="utf-8")
    r = cli("sync", "import", str(tmp_path / "junk.bundle"), "--db", str(county))
    assert r.exit_code == 1 and "不是同步包" in r.output
    r = cli("sync", "import", str(town), "--db", str(county))  # a ledger file, not a bundle
    assert r.exit_code == 1 and "ledger merge" in r.output
    r = cli("sync", "export", "--to", "东风镇", "-o", str(tmp_path / "x.bundle"),
            "--db", str(county))
    assert r.exit_code == 2 and "不认识的往来台账" in r.output
    assert not (tmp_path / "x.bundle").exists()
    r = cli("sync", "name", "县:汇总", "--db", str(county))
    assert r.exit_code == 2 and "冒号" in r.output
    # the county's whole register (its own case and 青石镇's) written for nobody in
    # particular: said, with the way to write one township's own
    with at(county, "2026-11-04") as L:
        L.demands.add("县里自己的诉求", village="东坪村", on="2026-11-04")
    r = cli("sync", "export", "-o", str(tmp_path / "all.bundle"), "--db", str(county),
            today="2026-11-04")
    assert r.exit_code == 0 and "包含 2 个台账的诉求" in r.output and "--to" in r.output
    r = cli("sync", "export", "--to", "青石镇", "-o", str(tmp_path / "one.bundle"),
            "--db", str(county), today="2026-11-04")
    assert r.exit_code == 0 and "个台账的诉求" not in r.output


def test_a_case_merged_before_sync_takes_only_its_new_steps(tmp_path: Path) -> None:
    """A county that merged a township with a version before sync holds the case under a
    county number, its steps copied without their identity (recorded by a `merge` command).
    The township's first bundle brings only the steps taken since, not those copies again."""
    town = tmp_path / "青石镇.db"
    make_township(town, "青石镇")
    with at(town, "2026-11-03", "10:00") as L:
        n = escalated_case(L, "屋顶漏水", "2026-11-03")
        origin = L.registers.ledger_id()
        copied = list(L.db.execute(
            "select action, on_date, actor, reason, data, recorded_at, os_user from journal "
            "where subject = 'demand' order by id"))
        state = L.demands.replayed(n)
    county = tmp_path / "县汇总.db"
    with at(county, "2026-11-04", user="县社工部") as L:
        L.sync.set_name("县社工部")
        with L.db.atomic():  # as the merge of before wrote it (the same ids here: 1)
            L.registers.add_township("青石镇")
            L.registers.add_village_to("东坪村", 1)
            L.residents.insert("张秀兰", 1, None, "13812345678", None, None, None, [],
                               origin=(origin, "1"))
            did = L.demands.insert_state("2026-000001", state, (origin, n))
            command = L.db.next_command()
            L.journal.write_many(("demand", did, a, on, actor, reason, data, at_, command, os_u,
                                  None, None)
                                 for a, on, actor, reason, data, at_, os_u in copied)
            L.journal.write("merge", 0, "merge", "2026-11-04", {"origin": origin})
            L.clocks.refresh("id = ?", [did])
    with at(town, "2026-11-05", "10:00") as L:
        L.demands.assign(n, unit="县住建局", on="2026-11-05")
        L.demands.resolve(n, result="已维修", on="2026-11-05")
    send(town, county, tmp_path / "t.bundle", "2026-11-05")
    r = take(county, tmp_path / "t.bundle", "2026-11-05")
    assert (r.demands, r.updated, r.events) == (0, 1, 2)
    with at(county, "2026-11-05") as L:
        row = L.demands.row("2026-000001")
        assert (row["status"], row["number"]) == ("resolved", "2026-000001")
        assert L.db.execute("select count(*) from journal where subject = 'demand'"
                            ).fetchone()[0] == len(copied) + 2
    check_passes(county)


def _tables(path: Path) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(path)) as c:
        out = {t: sorted(c.execute(f"select * from {t}").fetchall(), key=repr) for t in (
            "demands", "journal", "import_steps", "resident_demands", "residents", "visits",
            "sync_conflicts", "name_keys")}
        out["schema"] = sorted(c.execute("select type, name, sql from sqlite_master "
                                         "where name not like 'sqlite_%'").fetchall())
        return out


def test_a_large_first_sync_writes_what_case_by_case_writes(tmp_path: Path,
                                                           monkeypatch) -> None:
    """The bulk path of a first full sync (indexes and triggers set aside, cases written a
    batch at a time) leaves the same file as the ordinary one, byte for byte in its rows."""
    town = tmp_path / "青石镇.db"
    make_township(town, "青石镇")
    with at(town, "2026-11-06", "10:00", "青石镇文书") as L:
        L.sync.set_name("青石镇")
        first = None
        for i in range(7):
            n = L.demands.add(f"第{i}件:房屋漏水", village="东坪村", resident="张秀兰",
                              on="2026-11-03")
            first = first or n
            if i % 3 == 0:
                L.demands.settle(n, result="当场处理", on="2026-11-03")
            elif i % 3 == 1:
                L.demands.escalate(n, reason="村里解决不了", on="2026-11-04")
                L.demands.assign(n, unit="青石镇司法所", on="2026-11-04")
                L.demands.resolve(n, result="已调解", on="2026-11-05")
        L.demands.add("又一次房屋漏水", village="东坪村", resident="张秀兰", on="2026-11-06",
                      repeat_of=first)
    bundle = tmp_path / "full.bundle"
    send(town, tmp_path, bundle, "2026-11-06")
    counties = {}
    for way in ("case by case", "bulk"):
        counties[way] = tmp_path / f"{way}.db"
        make_county(counties[way])
        with monkeypatch.context() as m:
            if way == "bulk":
                from ledger.services import sync
                from ledger.services.demands import BulkDemands

                m.setattr(BulkDemands, "LARGE_ROWS", 1)
                m.setattr(sync._NewCases, "BATCH", 3)  # three batches of 3, 3 and 2
            told: list[tuple[int, int]] = []
            with at(counties[way], "2026-11-07", "17:30") as L:
                r = L.sync.import_(bundle, progress=lambda done, total: told.append((done, total)))
            assert told == ([(3, 8), (6, 8), (8, 8)] if way == "bulk" else [(8, 8)])
        assert (r.demands, r.events) == (8, 17)  # 3 settled x 2, 2 resolved x 4, 3 accepted
        check_passes(counties[way])
    a, b = _tables(counties["case by case"]), _tables(counties["bulk"])
    assert a["journal"] and a == b
    with at(counties["bulk"], "2026-11-07") as L:
        repeat = L.demands.row("青石镇:2026-000008")
        assert repeat["repeat_of"] == L.demands.row("青石镇:2026-000001")["id"]


def test_a_page_follows_the_ledger_that_keeps_it(county_and_towns, tmp_path: Path) -> None:
    """A resident's page is kept by the ledger it was first written in: what that ledger
    fills in or tags later reaches the county's copy with the next bundle, even with no new
    step on the person's cases (or no case at all)."""
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        L.residents.add("李四", "东坪村")  # no phone yet
        L.demands.add("院墙开裂", village="东坪村", resident="李四", on="2026-11-03")
        L.residents.add("王五", "东坪村")  # no case: never sent
    send(town, county, tmp_path / "w1.bundle", "2026-11-03")  # the first: everything
    take(county, tmp_path / "w1.bundle", "2026-11-04")
    send(county, town, tmp_path / "c1.bundle", "2026-11-04", to="青石镇")  # known both ways
    take(town, tmp_path / "c1.bundle", "2026-11-04")
    with at(town, "2026-11-10", "10:00") as L:
        L.residents.same("李四", "东坪村", phone="13900001111", address="东坪村3组")
        L.residents.tag("李四", add=["独居老人"])
        L.residents.same("王五", "东坪村", phone="13900002222")
    send(town, county, tmp_path / "w2.bundle", "2026-11-10", to="县社工部")
    r = take(county, tmp_path / "w2.bundle", "2026-11-11")
    assert (r.events, r.demands, r.updated, r.pages) == (0, 0, 0, 2)
    with at(county, "2026-11-11") as L:
        rows = L.db.execute("select name, phone, address from residents where name in "
                            "('李四', '王五') order by name").fetchall()
        assert rows == [("李四", "13900001111", "东坪村3组"), ("王五", "13900002222", None)]
        rid = L.db.execute("select id from residents where name = '李四'").fetchone()[0]
        assert L.residents.tags(rid) == ["独居老人"]
    r = take(county, tmp_path / "w2.bundle", "2026-11-11")  # again: nothing more
    assert r.pages == 0
    check_passes(county)
    check_passes(town)


def test_a_repeat_of_a_case_sent_before_keeps_its_link(county_and_towns, tmp_path: Path) -> None:
    """重复诉求: a weekly bundle's new case that repeats one sent weeks before is linked to it
    at the county too (the county's 重复投诉 counts it)."""
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        first = L.demands.add("院墙开裂", village="东坪村", resident="张秀兰", on="2026-11-03")
    send(town, county, tmp_path / "w1.bundle", "2026-11-03")
    take(county, tmp_path / "w1.bundle", "2026-11-04")
    send(county, town, tmp_path / "c1.bundle", "2026-11-04", to="青石镇")
    take(town, tmp_path / "c1.bundle", "2026-11-04")
    with at(town, "2026-11-10", "10:00") as L:
        again = L.demands.add("院墙开裂还没修", village="东坪村", resident="张秀兰",
                              on="2026-11-10", repeat_of=first)
    send(town, county, tmp_path / "w2.bundle", "2026-11-10", to="县社工部")
    r = take(county, tmp_path / "w2.bundle", "2026-11-11")
    assert (r.events, r.demands, r.updated) == (1, 1, 0)
    with at(county, "2026-11-11") as L:
        assert L.demands.row(f"青石镇:{again}")["repeat_of"] == \
            L.demands.row(f"青石镇:{first}")["id"]
    check_passes(county)


@pytest.mark.parametrize("data, expected", [
    ('{"resident_id": 3, "text": "x", "village_id": 7}',
     '{"resident_id": 1003, "text": "x", "village_id": 1007}'),
    ('{"co_unit_ids": [2, 5], "lead_unit_id": 4}', '{"co_unit_ids": [1002, 1005], "lead_unit_id": 1004}'),
    ('{"co_unit_ids": [], "grid_id": null}', '{"co_unit_ids": [], "grid_id": null}'),
    ('{"before": {"village_id": 1}, "village_id": 2}',
     '{"before": {"village_id": 1001}, "village_id": 1002}'),
    # a key written inside a text is escaped there: not an id
    ('{"text": "\\"resident_id\\": 5", "unit_id": 9}', '{"text": "\\"resident_id\\": 5", "unit_id": 1009}'),
    ('{"text": "no ids here"}', '{"text": "no ids here"}'),
])
def test_an_events_ids_are_translated_in_its_text(data: str, expected: str) -> None:
    from ledger.services.sync import ID_KEYS, _Import

    class Shifted(dict):
        def __missing__(self, k: int) -> int:
            return k + 1000

    imp = object.__new__(_Import)
    imp.ids = {kind: Shifted() for kind in set(ID_KEYS.values())}
    assert imp._translate(data) == expected


# A first full sync killed while its cases are being written (after its first batch, with
# the indexes set aside), or the moment its COMMIT begins: all of the bundle, or none of it.
SYNC_KILLED = """
import os, signal, sys
from datetime import date
from pathlib import Path
from ledger.services import Ledger, open_ledger, sync
from ledger.services.demands import BulkDemands
BulkDemands.LARGE_ROWS = 1
sync._NewCases.BATCH = 3
L = Ledger(open_ledger(sys.argv[1]), today=date(2026, 11, 7), user="县社工部",
           now="2026-11-07T17:30:00+08:00")
def die(*_):
    print("killed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[3] == "commit":
    L.db.conn.set_trace_callback(lambda sql: die() if sql.strip().upper() == "COMMIT" else None)
L.sync.import_(Path(sys.argv[2]), progress=die if sys.argv[3] == "batch" else None)
print("done", flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("when", ["batch", "commit"])
def test_a_first_sync_killed_leaves_none_or_all(tmp_path: Path, when: str) -> None:
    import signal
    import subprocess
    import sys

    town = tmp_path / "青石镇.db"
    make_township(town, "青石镇")
    with at(town, "2026-11-06", "10:00") as L:
        for i in range(8):
            n = L.demands.add(f"第{i}件:路灯不亮", village="东坪村", resident="张秀兰",
                              on="2026-11-05")
            if i % 2:
                L.demands.settle(n, result="当场报修", on="2026-11-06")
    bundle = tmp_path / "full.bundle"
    send(town, tmp_path, bundle, "2026-11-06")
    county = tmp_path / "县汇总.db"
    make_county(county)
    schema = _tables(county)["schema"]
    child = subprocess.run([sys.executable, "-c", SYNC_KILLED, str(county), str(bundle), when],
                           capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.strip() == b"killed"
    after = _tables(county)
    assert len(after["demands"]) in (0, 8)
    assert after["schema"] == schema  # the indexes and triggers set aside are all back
    check_passes(county)
    if not after["demands"]:  # and a second try takes it whole
        assert take(county, bundle, "2026-11-07").demands == 8
        check_passes(county)


def test_a_countys_week_in_two_commands(county_and_towns, tmp_path: Path, monkeypatch) -> None:
    """The county takes in a folder of its townships' bundles at once (two weeks of one
    township among them, in either order), and writes one bundle for each township; a bad
    file in the folder keeps all of them out. Every bundle counts as large here (a first
    sync's settings, made once before the one transaction)."""
    from ledger.services import sync

    monkeypatch.setattr(sync, "LARGE_EVENTS", 0)
    county, towns = county_and_towns
    inbox, outbox = tmp_path / "收件箱", tmp_path / "发件箱"
    inbox.mkdir()
    cases = {}
    for name, path in towns.items():
        with at(path, "2026-11-03", "10:00", f"{name}文书") as L:
            cases[name] = escalated_case(L, f"{name}:房屋漏水需鉴定", "2026-11-03")
        send(path, county, inbox / f"{name}-w1.bundle", "2026-11-03")
    # 青石镇 goes on the next day and sends again: its second bundle follows its first
    with at(towns["青石镇"], "2026-11-04", "10:00") as L:
        L.demands.add("路灯坏了", village="东坪村", on="2026-11-04")
    send(towns["青石镇"], county, inbox / "青石镇-a.bundle", "2026-11-04")
    run = Cli(county)

    def cli(*args: str, today: str = "2026-11-05", db: Path = county):
        return run(*args, "--db", str(db), today=today)

    (inbox / "notes.txt").write_text("not a bundle", encoding="utf-8")  # not *.bundle: left
    (inbox / "坏的.bundle").write_text("junk", encoding="utf-8")
    r = cli("sync", "import", str(inbox))
    assert r.exit_code == 1 and "坏的.bundle" in r.output and "不是同步包" in r.output
    with at(county, "2026-11-05") as L:
        assert L.db.execute("select count(*) from demands").fetchone() == (0,)
    (inbox / "坏的.bundle").unlink()
    r = cli("sync", "import", str(inbox), str(inbox / "白关镇-w1.bundle"))
    assert r.exit_code == 0, r.output
    assert "共导入同步包 4 个,新事件 10 条,新诉求 4 件" in r.output  # 3 x 3 steps, and 1
    r = cli("sync", "export", "--each", "-o", str(outbox / "no" / "such"))  # never created
    assert r.exit_code == 1 and "不存在" in r.output and not outbox.exists(), r.output
    assert len(r.output.strip().splitlines()) == 1
    outbox.mkdir()
    r = cli("sync", "export", "--each", "-o", str(outbox))
    assert r.exit_code == 0, r.output
    assert sorted(f.name for f in outbox.iterdir()) == [
        f"县社工部-{name}-2026-11-05.bundle" for name in sorted(TOWNS)]
    with at(county, "2026-11-05") as L:
        assert sorted(p["name"] for p in L.sync.peers() if p["sent_upto"]) == sorted(TOWNS)
    for name, path in towns.items():  # each township takes its own answer
        r = cli("sync", "import", str(outbox / f"县社工部-{name}-2026-11-05.bundle"), db=path)
        assert r.exit_code == 0 and "来自 县社工部" in r.output, r.output
    r = cli("sync", "export", "--each", "--to", "青石镇")
    assert r.exit_code == 2 and "--each" in r.output
    make_township(tmp_path / "新.db", "东风镇")
    r = cli("sync", "export", "--each", "-o", str(tmp_path / "x"), db=tmp_path / "新.db")
    assert r.exit_code == 1 and "还没有往来台账" in r.output  # (none to send to)
    r = cli("sync", "import", str(tmp_path / "空"))
    assert r.exit_code != 0 and "Traceback" not in r.output


# --- a hostile township, a careless clerk: refused whole, one line, nothing written -----------

def digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused_in_one_line(r, code: int, *words: str) -> str:
    """The command failed with ``code`` and said so in one line, naming ``words``."""
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert r.exit_code == code, r.output
    assert len(lines) == 1, r.output
    assert "Traceback" not in r.output and "内部错误" not in r.output, r.output
    for w in words:
        assert w in lines[0], (w, r.output)
    return lines[0]


def test_no_command_writes_over_a_ledger_file(county_and_towns, tmp_path: Path,
                                              monkeypatch) -> None:
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        escalated_case(L, "屋顶漏水", "2026-11-03")
    send(town, county, tmp_path / "1.bundle", "2026-11-03")
    take(county, tmp_path / "1.bundle", "2026-11-03")
    monkeypatch.chdir(tmp_path)
    run = Cli(county)
    before = {p: digest(p) for p in (county, town)}
    for target in (county, town):  # the ledger it has open, and another ledger
        for force in ((), ("--force",)):
            r = run("--db", str(county), "sync", "export", "-o", str(target), *force,
                    today="2026-11-04")
            refused_in_one_line(r, 1, str(target))
            r = run("--db", str(county), "sync", "export", "--to", "青石镇", "-o",
                    str(target), *force, today="2026-11-04")
            refused_in_one_line(r, 1, str(target))
            r = run("--db", str(county), "backup", str(target), *force,
                    today="2026-11-04")
            assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert {p: digest(p) for p in (county, town)} == before
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temporary left
    for path in (county, town):
        check_passes(path)
    # An old bundle is no ledger: replaced with --force as any other file
    r = run("--db", str(county), "sync", "export", "-o", str(tmp_path / "1.bundle"), "--force",
            today="2026-11-04")
    assert r.exit_code == 0, r.output


def test_a_name_from_a_bundle_never_names_a_folder(county_and_towns, tmp_path: Path,
                                                   monkeypatch) -> None:
    county, towns = county_and_towns
    town = towns["青石镇"]
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    # Typed: refused, in one line, nothing written.
    for bad in ("../../x", "..\\..\\x", "a/b", ".", "..", ".x", "x."):
        before = digest(town)
        r = Cli(town)("--db", str(town), "sync", "name", bad)
        refused_in_one_line(r, 2)
        assert digest(town) == before
    # Written into the file by hand (a hostile township): its bundles carry it.
    with contextlib.closing(sqlite3.connect(town)) as c:
        c.execute("insert or replace into meta (key, value) values ('name', '../../x')")
        c.commit()
    with at(town, "2026-11-03", "10:00") as L:
        escalated_case(L, "屋顶漏水", "2026-11-03")
    r = Cli(town)("--db", str(town), "sync", "export", today="2026-11-03")
    assert r.exit_code == 0, r.output
    made = [f for f in work.iterdir()]
    assert len(made) == 1 and made[0].suffix == ".bundle" and "/" not in made[0].name
    assert not (tmp_path / "x-2026-11-03.bundle").exists()
    # The county refuses a name that reads as a path at its door, naming it; nothing taken in.
    before = digest(county)
    r = Cli(county)("--db", str(county), "sync", "import", str(made[0]), today="2026-11-04")
    refused_in_one_line(r, 2, "../../x")
    assert digest(county) == before
    for path in (county, town):
        check_passes(path)


def forge(good: Path, bad: Path, *sql: str) -> Path:
    """A township's bundle changed as an attacker would change it: the SQL run on a copy,
    then every event re-chained (anyone can compute a chain) and the head moved to the
    last event, so that only the rules, not the chain, can refuse it."""
    from ledger.store.journal import chain_hash

    shutil.copy(good, bad)
    with contextlib.closing(sqlite3.connect(bad)) as c:
        for statement in sql:
            c.execute(statement)
        last_id, last_hash = None, None
        for r in c.execute("select id, 'demand', subject_id, action, on_date, actor, os_user, "
                           "reason, data, recorded_at, command, origin, origin_id, prev "
                           "from events order by id").fetchall():
            prev = r[13] if r[13] is not None else last_hash
            if last_id is not None and last_id == r[0] - 1:
                prev = last_hash
            h = chain_hash(prev, r[:13] if r[11] else r[:11])
            c.execute("update events set hash = ? where id = ?", [h, r[0]])
            last_id, last_hash = r[0], h
        c.execute("update info set value = ? where key in ('head_id', 'range_to')",
                  [str(last_id)])
        c.execute("update info set value = ? where key = 'head_hash'", [last_hash])
        c.commit()
    # Signed again by the sender itself, whose key the attacker (the sending township)
    # holds: only the authority rules, not the signature, can refuse it.
    sign_as_sender(bad)
    return bad


@pytest.fixture
def exchanged(county_and_towns, tmp_path: Path) -> dict:
    """青石镇 and 白关镇 each sent their escalated case up; the county assigned both and sent
    its answers; each township has a bundle for the county ready (白关镇's, with one more
    step on its own case)."""
    county, towns = county_and_towns
    cases = {}
    for name in ("青石镇", "白关镇"):
        with at(towns[name], "2026-11-03", "10:00", f"{name}文书") as L:
            cases[name] = escalated_case(L, f"{name}:屋顶漏水", "2026-11-03")
        send(towns[name], county, tmp_path / f"{name}-1.bundle", "2026-11-03")
        take(county, tmp_path / f"{name}-1.bundle", "2026-11-04")
    with at(county, "2026-11-05", "10:00") as L:
        for name in ("青石镇", "白关镇"):
            L.demands.assign(f"{name}:{cases[name]}", unit="县住建局", on="2026-11-05")
    for name in ("青石镇", "白关镇"):
        send(county, towns[name], tmp_path / f"县-{name}.bundle", "2026-11-05", to=name)
        take(towns[name], tmp_path / f"县-{name}.bundle", "2026-11-05")
    with at(towns["白关镇"], "2026-11-06", "10:00") as L:
        L.demands.notify(cases["白关镇"], text="已告知群众", on="2026-11-06")
    good = tmp_path / "白关镇-2.bundle"
    send(towns["白关镇"], county, good, "2026-11-06", to="县社工部")
    ids = {}
    for name, path in (("县社工部", county), *towns.items()):
        with at(path, "2026-11-06") as L:
            ids[name] = L.registers.ledger_id()
    return {"county": county, "towns": towns, "cases": cases, "good": good, "ids": ids,
            "tmp": tmp_path}


def refused_import(ex: dict, bundle: Path, code: int, *words: str, into: Path | None = None
                   ) -> str:
    """The county's (or ``into``'s) import of ``bundle`` refused in one line, its file byte
    for byte as it was, and its check passing."""
    county = into or ex["county"]
    before = digest(county)
    r = Cli(county)("--db", str(county), "sync", "import", str(bundle), today="2026-11-07")
    line = refused_in_one_line(r, code, bundle.name, *words)
    assert digest(county) == before
    check_passes(county)
    return line


EVENT = ("insert into events (id, subject_id, action, on_date, actor, os_user, reason, data, "
         "recorded_at, command, origin, origin_id, hash, prev) values ({e}, {case}, '{action}', "
         "'2026-11-06', '文书', null, null, '{data}', '2026-11-06T10:00:00+08:00', 999, null, "
         "null, '', null)")


def test_a_township_takes_steps_on_its_cases_only_from_its_county(exchanged) -> None:
    ex = exchanged
    town, n, qs = ex["towns"]["青石镇"], ex["cases"]["青石镇"], ex["ids"]["青石镇"]
    # Another township writes to it directly, about its own case.
    full = ex["tmp"] / "白关镇-全部.bundle"
    send(ex["towns"]["白关镇"], town, full, "2026-11-06")
    with contextlib.closing(sqlite3.connect(full)) as c:
        e = c.execute("select max(id) from events").fetchone()[0] + 1
    bad = forge(full, ex["tmp"] / "邻镇.bundle",
                "delete from events where origin is not null",  # (only its own steps)
                f"insert into demands values (900, '{qs}', '{n}', '青石镇')",
                EVENT.format(e=e, case=900, action="urge", data='{"text": "快办"}'))
    refused_import(ex, bad, 1, n, f"第 {e} 条", "白关镇", into=town)
    # Its county, on a case it was never sent (made after the last bundle went up).
    with at(town, "2026-11-06", "12:00") as L:
        later = L.demands.add("新的诉求", village="东坪村", on="2026-11-06")
    answer = ex["tmp"] / "县-青石镇.bundle"
    with contextlib.closing(sqlite3.connect(answer)) as c:
        e = c.execute("select max(id) from events").fetchone()[0] + 1
    bad = forge(answer, ex["tmp"] / "县-未上报.bundle",
                f"insert into demands values (900, '{qs}', '{later}', '青石镇')",
                EVENT.format(e=e, case=900, action="urge", data='{"text": "快办"}'))
    refused_import(ex, bad, 1, later, f"第 {e} 条", "县社工部", into=town)
    # On a case that did go up, the county's step is taken.
    ok = forge(answer, ex["tmp"] / "县-催办.bundle",
               EVENT.format(e=e, case=1, action="urge", data='{"text": "快办"}'))
    r = Cli(town)("--db", str(town), "sync", "import", str(ok), today="2026-11-07")
    assert r.exit_code == 0, r.output
    check_passes(town)


def next_event(ex: dict) -> int:
    with contextlib.closing(sqlite3.connect(ex["good"])) as c:
        return c.execute("select max(id) from events").fetchone()[0] + 1


def test_a_township_may_not_write_on_another_townships_case(exchanged) -> None:
    ex = exchanged
    n, qs = ex["cases"]["青石镇"], ex["ids"]["青石镇"]
    e = next_event(ex)
    # 白关镇 assigns 青石镇's case (a case the county holds, sent up by 青石镇)
    bad = forge(ex["good"], ex["tmp"] / "越权.bundle",
                f"insert into demands values (900, '{qs}', '{n}', '青石镇')",
                "insert into events (id, subject_id, action, on_date, actor, os_user, reason, "
                "data, recorded_at, command, origin, origin_id, hash, prev) values "
                f"({e}, 900, 'assign', '2026-11-06', '白关镇文书', null, null, "
                "'{\"lead_unit_id\": 1, \"co_unit_ids\": []}', '2026-11-06T10:00:00+08:00', "
                "999, null, null, '', null)")
    line = refused_import(ex, bad, 1, f"青石镇:{n}", f"第 {e} 条", "白关镇", "交办")
    assert "无权" in line
    # ... and claims the step was 青石镇's own (relayed): the sender may not hold the case
    bad = forge(bad, ex["tmp"] / "冒名.bundle",
                f"update events set origin = '{qs}', origin_id = 77 where id = {e}")
    refused_import(ex, bad, 1, f"青石镇:{n}", f"第 {e} 条", "白关镇")
    # The good bundle, after all that, goes in.
    r = Cli(ex["county"])("--db", str(ex["county"]), "sync", "import", str(ex["good"]),
                          today="2026-11-07")
    assert r.exit_code == 0, r.output


def test_a_township_may_not_create_a_case_in_another_ledgers_name(exchanged) -> None:
    ex = exchanged
    qs, e = ex["ids"]["青石镇"], next_event(ex)
    accept = ("insert into events (id, subject_id, action, on_date, actor, os_user, reason, "
              "data, recorded_at, command, origin, origin_id, hash, prev) values "
              f"({e}, 901, 'accept', '2026-11-06', '白关镇文书', null, null, "
              "'{\"text\": \"伪造的诉求\", \"village_id\": 1, \"level\": \"village\", "
              "\"received_on\": \"2026-11-06\"}', '2026-11-06T10:00:00+08:00', 999, null, "
              "null, '', null)")
    bad = forge(ex["good"], ex["tmp"] / "伪造.bundle",
                f"insert into demands values (901, '{qs}', '2026-000777', '青石镇')", accept)
    refused_import(ex, bad, 1, "青石镇:2026-000777", f"第 {e} 条", "白关镇")
    # in the name of the county itself
    bad = forge(ex["good"], ex["tmp"] / "伪造县.bundle",
                f"insert into demands values (901, '{ex['ids']['县社工部']}', '2026-000777', "
                "'县社工部')", accept)
    r = Cli(ex["county"])("--db", str(ex["county"]), "sync", "import", str(bad),
                          today="2026-11-07")
    refused_in_one_line(r, 1, "2026-000777")
    with at(ex["county"], "2026-11-07") as L:
        assert not L.db.execute("select 1 from demands where number like '%000777'").fetchone()


def test_a_township_may_not_write_on_the_countys_own_case(exchanged) -> None:
    """The county's own cases never go down: no township may write on one."""
    ex = exchanged
    with at(ex["county"], "2026-11-06", "10:00") as L:
        mine = L.demands.add("县里自己的诉求", village="青石镇/东坪村", on="2026-11-06")
    e = next_event(ex)
    bad = forge(ex["good"], ex["tmp"] / "县案.bundle",
                f"insert into demands values (902, '{ex['ids']['县社工部']}', '{mine}', '县社工部')",
                "insert into events (id, subject_id, action, on_date, actor, os_user, reason, "
                "data, recorded_at, command, origin, origin_id, hash, prev) values "
                f"({e}, 902, 'resolve', '2026-11-06', '白关镇文书', null, null, "
                "'{\"result\": \"已办结\"}', '2026-11-06T10:00:00+08:00', 999, null, null, '', "
                "null)")
    refused_import(ex, bad, 1, mine, f"第 {e} 条")


def test_the_county_never_forwards_a_step_its_writer_could_not_write(exchanged) -> None:
    """A step of 白关镇 on 青石镇's case that reached the county before the rule (written into
    its journal here) is never sent on to 青石镇."""
    ex = exchanged
    county, n = ex["county"], ex["cases"]["青石镇"]
    with at(county, "2026-11-06", "11:00") as L:
        case = L.demands.row(f"青石镇:{n}")["id"]
        L.journal.write_many([L.journal.received(case, {
            "action": "urge", "on_date": "2026-11-06", "actor": "白关镇文书", "reason": None,
            "recorded_at": "2026-11-06T10:00:00+08:00", "os_user": None}, '{"text": "快办"}',
            ex["ids"]["白关镇"], 4242)])
        L.demands.urge(f"青石镇:{n}", on="2026-11-06")  # the county's own urge does go
    out = ex["tmp"] / "县-青石镇-2.bundle"
    send(county, ex["towns"]["青石镇"], out, "2026-11-06", to="青石镇")
    with contextlib.closing(sqlite3.connect(out)) as c:
        assert c.execute("select count(*) from events where origin = ?",
                         [ex["ids"]["白关镇"]]).fetchone() == (0,)
        assert c.execute("select count(*) from events where action = 'urge'").fetchone() == (1,)
    r = take(ex["towns"]["青石镇"], out, "2026-11-07")
    assert r.events == 1
    check_passes(ex["towns"]["青石镇"])


@pytest.mark.parametrize("what, sql, where", [
    ("a list, not an object", "update events set data = '[1, 2]' where id = {e}", "data"),
    ("not JSON", "update events set data = '{{\"text\": ' where id = {e}", "data"),
    ("nested 100,000 deep", "update events set data = '{{\"a\": ' || "
     "replace(hex(zeroblob(50000)), '00', '[[') || '}}' where id = {e}", "data"),
    ("a number for data", "update events set data = 42 where id = {e}", "data"),
    ("a unit the bundle lacks", "update events set data = "
     "'{{\"lead_unit_id\": 999, \"co_unit_ids\": []}}', action = 'assign' where id = {e}",
     "lead_unit_id"),
    ("a case the bundle lacks", "update events set subject_id = 12345 where id = {e}",
     "subject_id"),
    ("a date that is no date", "update events set on_date = 'x' where id = {e}", "on_date"),
    ("a village the bundle lacks", "update residents set village_id = 999", "village_id"),
])
def test_a_malformed_bundle_is_told_as_the_bundles_fault(exchanged, what, sql, where) -> None:
    ex = exchanged
    with contextlib.closing(sqlite3.connect(ex["good"])) as c:
        e = c.execute("select max(id) from events").fetchone()[0]
        if "residents" in sql:  # (make it a resident new to the county)
            c.execute("update residents set home_id = '999', id_number = null")
            c.commit()
    bad = forge(ex["good"], ex["tmp"] / "坏.bundle", sql.format(e=e))
    line = refused_import(ex, bad, 2)
    # Told by the door's check (the row and what is wrong with it) or the import's (the
    # field): the bundle's fault, never the ledger's.
    assert "不是台账文件" not in line
    assert where in line or f"#{e}" in line, line


@pytest.mark.parametrize("damaged", ["events", "events_by_case", "residents"])
def test_a_damaged_page_in_a_bundle_is_the_bundles_not_the_ledgers(exchanged, damaged) -> None:
    ex = exchanged
    bad = ex["tmp"] / "损坏.bundle"
    shutil.copy(ex["good"], bad)
    data = bytearray(bad.read_bytes())
    with contextlib.closing(sqlite3.connect(bad)) as c:
        page = c.execute("pragma page_size").fetchone()[0]
        root = c.execute("select rootpage from sqlite_master where name = ?",
                         [damaged]).fetchone()[0]
    start = (root - 1) * page
    data[start:start + page] = b"\xff" * page  # the table's (or index's) page, overwritten
    bad.write_bytes(bytes(data))
    line = refused_import(ex, bad, 2, "已损坏", "本台账未受影响")
    assert "不是台账文件" not in line


def test_a_locality_the_countys_step_names_travels_with_it(county_and_towns, tmp_path: Path
                                                          ) -> None:
    """The county's assignment names a village (属地) none of the case's rows name: the
    village goes in the bundle too (it was left out, and the township could not read it)."""
    county, towns = county_and_towns
    town = towns["青石镇"]
    with at(town, "2026-11-03", "10:00") as L:
        L.registers.add_village("西岭村")
        n = escalated_case(L, "屋顶漏水", "2026-11-03")
    send(town, county, tmp_path / "1.bundle", "2026-11-03")
    take(county, tmp_path / "1.bundle", "2026-11-04")
    with at(county, "2026-11-05", "10:00") as L:
        L.demands.assign(f"青石镇:{n}", unit="县住建局", locality="西岭村", on="2026-11-05")
    send(county, town, tmp_path / "2.bundle", "2026-11-05", to="青石镇")
    assert take(town, tmp_path / "2.bundle", "2026-11-06").events == 1
    assert states(county) == states(town)
    for path in (county, town):
        check_passes(path)
