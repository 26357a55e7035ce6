"""The bulk path of a large import (issue 17): demand rows checked column by column (each
distinct value once), the journal rows of what the checks create held and appended at once,
new residents written a batch at a time; the same problems, and the same ledger, as row by
row."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ledger.io import importer
from ledger.io.csvformat import export_csv
from ledger.io.importer import ImportRefused, import_csv
from ledger.services import Ledger, open_ledger

from .conftest import TODAY
from .test_csvio import BAD_ROWS, BASE, counts, csv_bytes

NOW = "2026-11-17T09:00:00+08:00"


def _problems(e: pytest.ExceptionInfo[ImportRefused]) -> list[tuple]:
    return [(p.row, p.column, p.value, p.key, p.why()) for p in e.value.params["errors"]]


@pytest.mark.parametrize("change, column, value, key, why", BAD_ROWS,
                         ids=[f"{b[1]}:{b[3]}:{b[2]}" for b in BAD_ROWS])
def test_a_bad_value_met_in_many_rows_is_a_problem_of_each_row(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch, change, column, value, key,
        why) -> None:
    """A value checked once for the whole column is still a problem of every row that holds
    it, with its own row number and the message the row alone gets."""
    header = list(dict.fromkeys([*BASE, *change]))
    good = [BASE.get(h, "") for h in header]
    bad = [{**BASE, **change}.get(h, "") for h in header]
    alone = csv_bytes([header, bad])
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, alone)
    [(_, *first)] = _problems(e)
    assert tuple(first[:3]) == (column, value, key)
    if why is not None:
        assert first[3] == why
    monkeypatch.setattr(importer, "BATCH", 2)  # the bad rows fall in three batches
    rows = [header, good, bad, good, bad, good, good, bad]
    before = counts(ledger)
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, csv_bytes(rows))
    assert _problems(e) == [(n, *first) for n in (3, 5, 8)]
    assert counts(ledger) == before  # nothing written


def test_each_distinct_value_of_a_column_is_checked_once(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    real = importer._Check._read_day
    monkeypatch.setattr(importer._Check, "_read_day",
                        staticmethod(lambda v: (read.append(v), real(v))[1]))
    monkeypatch.setattr(importer, "BATCH", 3)
    days = ["2026-11-10", "2026-11-11", "2026-11-10", "2026-11-12", "2026-11-11",
            "2026-11-10", "2026-11-12"]
    rows = [["受理日期", "村/社区", "诉求内容", "状态", "挂起日期"]]
    rows += [[d, "东坪村", f"第{i}件", "已挂起", d] for i, d in enumerate(days)]
    result = import_csv(ledger, csv_bytes(rows))
    assert result.added == 7
    assert sorted(read) == ["2026-11-10", "2026-11-11", "2026-11-12"]  # once each, in all
    # (the two date columns share what was found)
    assert ledger.db.execute("select received_on, suspended_since from demands order by id"
                             ).fetchall() == [(d, d) for d in days]


# --- the same ledger as row by row ----------------------------------------------------------

# Rows that make the import create residents, grids, terms and units, the same names again
# in later rows (and batches), a resident first met without a phone and given one later, in
# the same batch and batches later, and one problem-free row of every kind of cell.
EXTRA = [
    ["", "2026-11-02", "青石镇", "东坪村", "二组", "赵大", "", "入户走访", "新类别一", "一般性", "",
     "甲", "办理中", "村级", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "0",
     "", ""],
    ["", "2026-11-03", "青石镇", "东坪村", "二组", "赵大", "13811112222", "入户走访", "新类别一",
     "一般性", "", "乙", "办理中", "村级", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
     "", "", "", "", ""],
    ["", "2026-11-03", "青石镇", "西岭村", "三组", "钱二", "", "新渠道", "新类别二", "疑难复杂",
     "", "丙", "办理中", "镇级", "新单位", "", "", "", "", "", "", "2026-11-04", "", "", "", "",
     "", "", "", "", "", "", ""],
    ["", "2026-11-05", "青石镇", "西岭村", "三组", "钱二", "13922223333", "新渠道", "新类别二",
     "一般性", "", "丁", "办理中", "村级", "新单位", "", "", "", "", "", "", "", "", "", "", "",
     "", "", "", "", "", "", ""],
]


def _county(tmp_path: Path) -> bytes:
    from ledger.demo import load_township, read_township

    demo = Ledger(open_ledger(":memory:"), today=date(2026, 11, 17), user="刘洁")
    load_township(demo, read_township())
    out = io.BytesIO()
    export_csv(demo, "demands", out, unmask=True)
    head, *body = out.getvalue().decode("utf-8-sig").splitlines(keepends=True)
    extra = io.StringIO()
    import csv

    csv.writer(extra).writerows(EXTRA * 2 + [EXTRA[0], EXTRA[1]])
    return (head + "".join(body[:40]) + extra.getvalue() + "".join(body[40:])).encode(
        "utf-8-sig")


def _everything(L: Ledger) -> dict[str, list[tuple]]:
    tables = [t for (t,) in L.db.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' "
        "and name not in ('meta', '_sqlite_migrations')")]
    return {t: L.db.execute(f"select * from {t} order by 1").fetchall() for t in tables}


def test_held_journal_and_batched_residents_leave_the_row_by_row_ledger(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Holding the journal rows of a batch's checks and writing its new residents together
    change nothing in the file: every table, the journal
    to the last hash, as when each was written the moment it was met."""
    from ledger.services.demands import BulkDemands

    data = _county(tmp_path)
    monkeypatch.setattr(importer, "BATCH", 7)
    got = {}
    for way in ("bulk", "row by row", "cache small"):
        with monkeypatch.context() as m:
            if way == "row by row":
                m.setattr(importer._Refs, "hold", lambda self: None)  # nothing held
                m.setattr(BulkDemands, "LARGE_ROWS", 10**9)
            else:  # indexes set aside, built after the load
                m.setattr(BulkDemands, "LARGE_ROWS", 1)
            if way == "cache small":  # people (the held ones written) and values forgotten
                m.setattr(importer._Refs, "RESIDENTS_CACHED", 3)
                m.setattr(importer._Columns, "KEPT", 2)
            L = Ledger(open_ledger(tmp_path / f"{way}.db"), today=TODAY, user="导入", now=NOW)
            result = import_csv(L, data, create_missing=True)
            assert L.checks.run() == []
            got[way] = (result.added, result.created_count, _everything(L))
    assert got["bulk"][1]["resident"] > 10 and got["bulk"][1]["category"] >= 2
    phones = dict(L.db.execute("select name, phone from residents where name in ('赵大', '钱二')"))
    assert phones == {"赵大": "13811112222", "钱二": "13922223333"}  # given by a later row
    assert got["bulk"] == got["row by row"]
    assert got["cache small"] == got["row by row"]


def test_a_refused_batch_holds_nothing_back(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A file refused after batches that created residents and places leaves the ledger as
    it was, and its journal."""
    data = _county(tmp_path)
    bad = data + "\r\n,2026-11-30,青石镇,东坪村,,孙三,,,,,,迟到的,办理中,村级,,,,,,,,,,,,,,,,,,,\r\n".encode()
    monkeypatch.setattr(importer, "BATCH", 7)
    L = Ledger(open_ledger(tmp_path / "x.db"), today=TODAY, user="导入", now=NOW)
    before = _everything(L)
    with pytest.raises(ImportRefused) as e:
        import_csv(L, bad, create_missing=True)
    assert [(p.column, p.key) for p in e.value.params["errors"]] == [("受理日期", "date.future")]
    assert _everything(L) == before
    assert L.journal.__class__.__name__ == "Journal"  # the ledger's own journal, back


# --- reading the rows ----------------------------------------------------------------------------

@pytest.mark.parametrize("cells, values", [
    (["2026-11-16", " 东坪村 ", "路灯"], {"a": "2026-11-16", "b": "东坪村", "c": "路灯"}),
    (["\t13812345678", "x", ""], {"a": "13812345678", "b": "x", "c": ""}),  # the tab escape
    (["'=1+1", "x", "y"], {"a": "=1+1", "b": "x", "c": "y"}),  # an apostrophe, first cell
    (["x", "'+86 138", "y"], {"a": "x", "b": "+86 138", "c": "y"}),  # ... a middle one
    (["x", "y", "''@z"], {"a": "x", "b": "y", "c": "'@z"}),  # one apostrophe taken
    (["x", " 'y", "z"], {"a": "x", "b": "'y", "c": "z"}),  # not at the start: kept
    (["x", "y"], {"a": "x", "b": "y"}),  # a short row
    (["", " ", "'"], {"a": "", "b": "", "c": ""}),  # not blank: it holds an apostrophe
])
def test_a_row_is_read_the_same_whatever_its_escapes(cells: list[str],
                                                     values: dict[str, str]) -> None:
    result = importer.ImportResult(what="demands")
    got = list(importer._rows(iter([cells, ["", " ", ""]]), ["a", "b", "c"],
                              {"a": "A", "b": "B", "c": "C"}, [], result, None, None))
    assert [(r.number, r.values) for r in got] == [(2, values)]  # the blank row 3 left out
    assert result.rows == 1


# --- killed while a batch's new residents and held journal rows are written -------------------

IMPORTER_KILLED_WRITING_HELD_ROWS = """
import os, signal, sys
from datetime import date
from pathlib import Path
from ledger.io.importer import import_csv
from ledger.services import Ledger
from ledger.services import open_ledger
ledger = Ledger(open_ledger(sys.argv[1]), today=date(2026, 11, 17), user="导入")
seen = {"residents": 0, "journal": 0}
def trace(sql):
    head = sql.lstrip().upper()
    for table in seen:
        if head.startswith(f"INSERT INTO {table.upper()} "):
            seen[table] += 1
            if table == sys.argv[3] and seen[table] == 2_500:
                print("killed", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
ledger.db.conn.set_trace_callback(trace)
import_csv(ledger, Path(sys.argv[2]).read_bytes(), create_missing=True)
print("done", flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("table", ["residents", "journal"])
def test_an_import_killed_writing_a_batch_of_new_residents_leaves_none_or_all(
        tmp_path: Path, table: str) -> None:
    """Killed as a batch's new residents are written, or as the journal rows held for them
    are appended: a large load (the bulk path), in its one transaction, leaves nothing."""
    from .conftest import setup_township

    path = tmp_path / "ledger.db"
    setup_township(Ledger(open_ledger(path), today=TODAY, user="刘洁")).db.conn.close()
    schema = sqlite3.connect(path).execute(
        "select type, name, sql from sqlite_master order by name").fetchall()
    before = Ledger(open_ledger(path), today=TODAY)
    counted = counts(before)
    before.db.conn.close()
    rows = ["受理日期,村/社区,反映人,诉求内容"] + [
        f"2026-11-{1 + i % 16:02d},东坪村,居民{i // 2},第{i}件诉求" for i in range(6_000)]
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    child = subprocess.run([sys.executable, "-c", IMPORTER_KILLED_WRITING_HELD_ROWS, str(path),
                            str(csv_file), table], capture_output=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.strip() == b"killed"
    L = Ledger(open_ledger(path), today=TODAY)
    assert counts(L) == counted  # no resident, no journal row, no demand
    assert L.checks.run() == []
    assert L.db.execute("select type, name, sql from sqlite_master order by name").fetchall() \
        == schema


def test_a_long_imports_name_keys_are_written_in_runs(monkeypatch, tmp_path) -> None:
    """The pinyin keys of the names an import writes are held back and written sorted; past
    PENDING_MOST they go in sorted runs (memory bounded), and the keys are the same."""
    import io
    from datetime import date

    from ledger.demo import load_township, read_township
    from ledger.io import importer
    from ledger.io.csvformat import export_csv
    from ledger.services import Ledger, lookup, open_ledger

    today = date(2026, 11, 17)
    demo = Ledger(open_ledger(":memory:"), today=today, user="刘洁")
    load_township(demo, read_township())
    out = io.BytesIO()
    export_csv(demo, "demands", out, unmask=True)
    got, runs = {}, []
    write = lookup._write_sorted
    monkeypatch.setattr(lookup, "_write_sorted", lambda db, rows: (runs.append(len(rows)),
                                                                    write(db, rows)))
    for most in (10**9, 5):
        monkeypatch.setattr(lookup, "PENDING_MOST", most)
        L = Ledger(open_ledger(tmp_path / f"{most}.db"), today=today, user="导入")
        importer.import_csv(L, out.getvalue(), create_missing=True)
        assert L.checks.run() == []
        got[most] = L.db.execute("select kind, ref_id, key from name_keys order by 1, 2, 3"
                                 ).fetchall()
    assert len(got[5]) > 5 and got[5] == got[10**9]
    # the first import in one run; the second in many, none of them all the keys
    assert runs[0] == len(got[5]) and len(runs) > 3 and max(runs[1:]) < runs[0]
