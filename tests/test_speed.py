"""Speed that does not grow with history (issue 17): what everyday commands load, the
database facade they run on, the queries bounded by what they show."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.store import LedgerDatabase

from .conftest import Cli

HEAVY = ("sqlite_utils", "click", "pluggy", "dateutil", "importlib.metadata")

_RUN = """
import json, sys
from typer.testing import CliRunner
from ledger.cli import app
runner = CliRunner()
out = {}
for args in json.loads(sys.argv[1]):
    r = runner.invoke(app, ["--today", "2026-11-17", "--user", "刘洁", *args])
    out[" ".join(args)] = [r.exit_code, sorted(m for m in %r if m in sys.modules)]
print(json.dumps(out, ensure_ascii=False))
""" % (HEAVY,)


def test_everyday_commands_never_load_sqlite_utils(cli: Cli) -> None:
    """sqlite-utils (and click, pluggy, dateutil, importlib.metadata) cost a third of a
    command's start-up: reading and recording a visit run on the standard library alone."""
    assert cli("issue", "add", "路灯坏了", "--village", "东坪村").exit_code == 0
    commands = [["summary"], ["due"], ["overdue"], ["issue", "list", "--status", "open"],
                ["resident", "show", "张秀兰"], ["issue", "show", "2026-000001"],
                ["visit", "log", "--village", "东坪村", "--resident", "张秀兰", "--cadre",
                 "王建国", "--channel", "入户走访", "--issue", "屋顶漏水"],
                ["issue", "classify", "2026-000001", "--category", "基础设施"]]
    p = subprocess.run([sys.executable, "-c", _RUN, json.dumps(commands, ensure_ascii=False)],
                       capture_output=True, text=True, encoding="utf-8", check=True)
    got = json.loads(p.stdout)
    assert got == {" ".join(c): [0, []] for c in commands}, got


def test_the_facade_writes_as_sqlite_utils_does(tmp_path: Path) -> None:
    from sqlite_utils.db import NotFoundError

    db = LedgerDatabase(sqlite3.connect(tmp_path / "f.db"))
    db.execute("create table t (id integer primary key, name text not null, n integer)")
    db.execute("create table kv (key text primary key, value text)")
    assert db["t"].insert({"name": "甲", "n": 1}).last_pk == 1
    assert db["t"].insert({"name": "乙", "n": [1, 2]}).last_pk == 2  # sqlite-utils' own path
    assert db.execute("select n from t where id = 2").fetchone() == ("[1, 2]",)
    db["t"].update(1, {"n": 5})
    with pytest.raises(NotFoundError):
        db["t"].update(99, {"n": 5})
    db["kv"].upsert({"key": "a", "value": "1"}, pk="key")
    db["kv"].upsert({"key": "a", "value": "2"}, pk="key")
    assert (db["t"].count, db["kv"].count) == (2, 1)
    assert list(db.query("select id, name, n from t order by id")) == [
        {"id": 1, "name": "甲", "n": 5}, {"id": 2, "name": "乙", "n": "[1, 2]"}]
    assert not db.conn.in_transaction  # every write outside a transaction was committed
    with pytest.raises(sqlite3.IntegrityError):
        with db.atomic():
            db["t"].insert({"name": "丙"})
            with db.atomic():  # a savepoint
                db["t"].insert({"name": None})
    assert db["t"].count == 2  # all or nothing
    assert db.table_names() == ["t", "kv"]
    assert "t" in db.sqlite_utils.table_names()  # the rest of sqlite-utils' API, on demand


# --- the bulk path of a large import ---------------------------------------------------------

def _schema(L) -> list[tuple]:
    return sorted(L.db.execute("select type, name, sql from sqlite_master").fetchall())


def test_a_large_import_writes_what_a_row_by_row_import_writes(monkeypatch, tmp_path) -> None:
    """With its indexes set aside and import_steps filled by one statement, a large import
    leaves the same demands, journal milestones, indexes and triggers as the trigger and
    the indexes row by row would."""
    from datetime import date

    from ledger.demo import load_township, read_township
    import io

    from ledger.io import importer
    from ledger.io.csvformat import export_csv
    from ledger.services import Ledger, open_ledger
    from ledger.services.demands import BulkDemands

    today = date(2026, 11, 17)
    demo = Ledger(open_ledger(":memory:"), today=today, user="刘洁")
    load_township(demo, read_township())
    out = io.BytesIO()
    export_csv(demo, "demands", out, unmask=True)
    data = out.getvalue()
    monkeypatch.setattr(importer, "BATCH", 10)
    loads = []
    begin = BulkDemands.begin_load
    monkeypatch.setattr(BulkDemands, "begin_load", lambda self: (loads.append(1), begin(self)))
    got = {}
    for bulk, rows in (("bulk", 1), ("row by row", 10**9)):
        monkeypatch.setattr(BulkDemands, "LARGE_ROWS", rows)
        L = Ledger(open_ledger(tmp_path / f"{rows}.db"), today=today, user="导入")
        result = importer.import_csv(L, data, create_missing=True)
        assert L.checks.run() == []
        got[bulk] = (result.added, _schema(L),
                     L.db.execute("select * from demands order by id").fetchall(),
                     sorted(L.db.execute("select * from import_steps").fetchall()),
                     L.db.execute("select * from resident_demands order by 1").fetchall())
    assert got["bulk"][0] == len(demo.db.execute("select id from demands").fetchall())
    assert got["bulk"][3], "the demo has milestones to count"
    assert loads == [1]  # the bulk path was taken once, by the first import only
    assert got["bulk"] == got["row by row"]


# --- queries bounded by what they show ---------------------------------------------------------

def _recount(L) -> list[tuple]:
    return L.db.execute("select resident_id, count(*), min(received_on) from demands "
                        "where resident_id is not null group by resident_id order by 1").fetchall()


def test_repeat_residents_count_all_history_from_the_kept_counts(ledger) -> None:
    """多次反映 counts a resident's demands up to the week's end, however many came after;
    the per-resident counts the summary reads stay equal to a recount through every write."""
    L = ledger
    for on in ("2026-10-06", "2026-10-13", "2026-11-10", "2026-11-16"):
        L.demands.add(f"{on} 路灯", village="东坪村", resident="张秀兰", on=on)
    L.demands.add("噪声", village="西岭村", resident="王芳/西岭村", on="2026-11-10")
    L.demands.add("垃圾", village="东坪村", on="2026-11-11")  # nobody's
    kept = lambda: L.db.execute("select resident_id, demands, first_on from resident_demands "  # noqa: E731
                                "where demands > 0 order by 1").fetchall()
    assert kept() == _recount(L)
    week_of_oct_13 = L.reports.summary("2026-10-13")["repeat_residents"]
    assert [(r["resident"], r["demands"], r["this_week"], r["first_on"])
            for r in week_of_oct_13] == [("张秀兰", 2, 1, "2026-10-06")]  # not the later two
    november = L.reports.summary("2026-11-10")["repeat_residents"]
    assert [(r["resident"], r["demands"], r["this_week"]) for r in november] == [
        ("张秀兰", 4, 2)]
    L.history.undo()  # the last demand (垃圾): nobody's, nothing to count
    L.history.undo()  # 王芳's
    assert kept() == _recount(L)
    L.demands.add("又一件", village="东坪村", resident="王芳/东坪村", on="2026-11-12")
    L.residents.merge("张秀兰", "王芳/东坪村")  # one person's two pages: the demands move
    assert kept() == _recount(L)
    L.history.undo()  # and back
    assert kept() == _recount(L)
