"""The bulk path of a large import (issue 17): demand rows checked column by column (each
distinct value once), the journal rows of what the checks create held and appended at once,
new residents written a batch at a time; the same problems, and the same ledger, as row by
row."""

from __future__ import annotations

import io
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
    """Holding the journal rows of a batch's checks, writing its new residents together and
    reading its cells column by column change nothing in the file: every table, the journal
    to the last hash, as when each was written the moment it was met."""
    from ledger.services.demands import BulkDemands

    data = _county(tmp_path)
    monkeypatch.setattr(importer, "BATCH", 7)
    got = {}
    for way in ("bulk", "row by row", "cache small"):
        with monkeypatch.context() as m:
            if way == "row by row":
                m.setattr(importer._Refs, "hold", lambda self: None)  # nothing held
                m.setattr(importer._Columns, "load", lambda self, batch: None)  # cell by cell
                m.setattr(BulkDemands, "LARGE_ROWS", 10**9)
            else:  # indexes set aside, built after the load
                m.setattr(BulkDemands, "LARGE_ROWS", 1)
            if way == "cache small":  # people forgotten (and the held ones written) often
                m.setattr(importer._Refs, "RESIDENTS_CACHED", 3)
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
