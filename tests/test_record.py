"""A record nobody can quietly rewrite: the journal's hash chain, its triggers, the chain
head kept elsewhere, every projection held to its journal, and who ran each command."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from ledger import cli as cli_module
from ledger.services import Ledger, open_ledger
from ledger.store.journal import GENESIS, chain_hash

from .conftest import TODAY, Cli


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sql(path: Path, *statements: str) -> None:
    """What a hostile user does with the sqlite3 shell."""
    conn = sqlite3.connect(path)
    try:
        for s in statements:
            conn.execute(s)
        conn.commit()
    finally:
        conn.close()


def sql_fails(path: Path, statement: str) -> str:
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError) as e:
            conn.execute(statement)
            conn.commit()
        return str(e.value)
    finally:
        conn.close()


def rechain(path: Path) -> None:
    """The strongest attacker: every hash recomputed after the rewrite (the rule is public)."""
    conn = sqlite3.connect(path)
    conn.execute("drop trigger if exists journal_no_update")
    prev = GENESIS
    cols = "id, subject, subject_id, action, on_date, actor, os_user, reason, data, recorded_at, command"
    for row in conn.execute(f"select {cols} from journal order by id").fetchall():
        prev = chain_hash(prev, row)
        conn.execute("update journal set hash = ? where id = ?", [prev, row[0]])
    conn.execute("CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
                 "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END")
    conn.commit()
    conn.close()


def head_of(cli: Cli) -> str:
    text = cli("backup", str(cli.path.with_name("b.db"))).output
    m = re.search(r"(\d+):([0-9a-f]{64})", text)
    assert m, text
    return f"{m[1]}:{m[2]}"


def check(cli: Cli, *args: str):
    return cli("check", *args)


@pytest.fixture
def worked(cli: Cli) -> Cli:
    """A ledger with a few commands' worth of journal."""
    for args in (["issue", "add", "路灯坏了", "--village", "东坪村", "--resident", "张秀兰",
                  "--date", "2026-11-10"],
                 ["issue", "escalate", "2026-000001", "--reason", "村里修不了", "--date",
                  "2026-11-11"],
                 ["visit", "log", "--village", "东坪村", "--resident", "王芳/东坪村",
                  "--cadre", "王建国", "--note", "入户", "--issue", "漏水"]):
        assert cli(*args).exit_code == 0
    return cli


# --- the chain ---------------------------------------------------------------------------------

def test_every_row_is_chained_and_the_check_names_the_head(worked: Cli) -> None:
    r = check(worked)
    assert r.exit_code == 0 and "日志链头" in r.output
    conn = sqlite3.connect(worked.path)
    rows = conn.execute("select id, hash from journal order by id").fetchall()
    assert [i for i, _ in rows] == list(range(1, len(rows) + 1))
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for _, h in rows)
    assert f"{rows[-1][0]}:{rows[-1][1]}" in r.output


def test_the_chain_rule_is_the_documented_encoding() -> None:
    row = (1, "demand", 1, "accept", "2026-11-10", "刘洁", "clerk", None, '{"text":"路灯"}',
           "2026-11-10T09:00:00+08:00", 1)
    canonical = json.dumps(list(row), ensure_ascii=False, separators=(",", ":"))
    text = "ledger-journal-v1\n" + "0" * 64 + "\n" + canonical
    assert chain_hash(GENESIS, row) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_migration_chains_an_old_journal_as_the_writer_would(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "ledger-m010_fewer_indexes.db", path)
    L = Ledger(open_ledger(path), today=TODAY)
    prev = GENESIS
    for stored, *values in L.db.execute(
            "select hash, id, subject, subject_id, action, on_date, actor, os_user, reason, "
            "data, recorded_at, command from journal order by id"):
        prev = chain_hash(prev, values)
        assert stored == prev
    assert L.db.execute("select value from meta where key = 'chain_migrated'").fetchone()[0] \
        == str(L.db["journal"].count - 0)
    # the registers the old version stored are recorded as found, and pass the check
    assert [r[0] for r in L.db.execute("select subject from journal where action = 'baseline' "
                                       "order by id")] == ["township", "village", "unit"]
    assert L.checks.run() == []


@pytest.mark.parametrize("statement", [
    "insert or replace into journal select id, subject, subject_id, action, on_date, 'mallory', "
    "reason, data, recorded_at, command, os_user, hash, origin, origin_id from journal where id = 1",
    "replace into journal select * from journal where id = 1",
    "update journal set actor = 'mallory' where id = 1",
    "delete from journal where id = 1",
    "insert into journal (subject, subject_id, action, on_date, data) "
    "values ('demand', 1, 'close', '2026-11-12', '{}')",
    "insert into journal select id + 10, subject, subject_id, action, on_date, actor, reason, "
    "data, recorded_at, command, os_user, hash, origin, origin_id from journal where id = 1",
    "insert into journal select null, subject, subject_id, action, on_date, actor, reason, "
    "data, recorded_at, command, os_user, null, origin, origin_id from journal where id = 1",
], ids=["insert-or-replace", "replace", "update", "delete", "no-hash", "gap", "null-hash"])
def test_the_file_refuses_every_rewrite_sqlite_can_refuse(worked: Cli, statement: str) -> None:
    before = digest(worked.path)
    assert "append-only" in sql_fails(worked.path, statement)
    assert digest(worked.path) == before
    assert check(worked).exit_code == 0


def _update_dropped(path: Path) -> None:
    sql(path, "drop trigger journal_no_update",
        "update journal set actor = 'mallory' where id = 3")


def _replace_dropped(path: Path) -> None:
    sql(path, "drop trigger journal_append_only",
        "insert or replace into journal select id, subject, subject_id, action, on_date, "
        "'mallory', reason, data, recorded_at, command, os_user, hash, origin, origin_id from journal where id = 3")


def _delete_reinsert(path: Path) -> None:
    sql(path, "drop trigger journal_no_delete", "drop trigger journal_append_only",
        "create temp table keep as select * from journal where id = 3",
        "delete from journal where id = 3",
        "insert into journal select id, subject, subject_id, action, '2026-11-12', actor, "
        "reason, data, recorded_at, command, os_user, hash, origin, origin_id from temp.keep")


def _projection(path: Path) -> None:
    sql(path, "update residents set name = '张秀英', phone = '13800000000' where id = 1")


REWRITES = {"update, triggers dropped": _update_dropped, "replace": _replace_dropped,
            "delete and re-insert": _delete_reinsert, "a projection row": _projection}


@pytest.mark.parametrize("how", REWRITES)
@pytest.mark.parametrize("rechained", [False, True], ids=["as-is", "chain-recomputed"])
def test_check_with_the_recorded_head_finds_every_rewrite(worked: Cli, how: str,
                                                          rechained: bool) -> None:
    head = head_of(worked)
    assert check(worked, "--head", head).exit_code == 0
    REWRITES[how](worked.path)
    if rechained and how != "a projection row":
        rechain(worked.path)
        sql(worked.path, "CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON "
            "journal BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END")
    before = digest(worked.path)
    r = check(worked, "--head", head)
    assert r.exit_code == 1, r.output
    text = r.output
    if how == "a projection row":
        assert "表 residents 第 1 行与日志不一致:name, phone" in text
    elif rechained:
        assert "与记录的链头" in text  # only the head kept elsewhere shows it
    else:
        assert "哈希链在第 3 行断开" in text
    if not rechained and how != "a projection row":
        assert "触发器" in text  # the dropped triggers are named too
    assert digest(worked.path) == before  # the check changes nothing


def test_dropped_triggers_and_deleted_resident_rows_no_longer_pass(worked: Cli) -> None:
    sql(worked.path, "drop trigger journal_no_update", "drop trigger journal_no_delete",
        "drop trigger journal_append_only",
        "delete from journal where subject = 'resident'")
    r = check(worked)
    assert r.exit_code == 1
    for needle in ("journal_no_update", "journal_no_delete", "journal_append_only", "缺行",
                   "哈希链"):
        assert needle in r.output


def test_a_head_recorded_later_than_the_journal_reaches_is_missing(worked: Cli) -> None:
    rid, digest_ = head_of(worked).split(":")
    r = check(worked, "--head", f"{int(rid) + 5}:{digest_[:16]}")
    assert r.exit_code == 1 and "截短" in r.output


def test_a_head_may_be_its_first_16_hex_digits_and_is_checked_for_form(worked: Cli) -> None:
    rid, digest_ = head_of(worked).split(":")
    assert check(worked, "--head", f"#{rid}:{digest_[:16].upper()}").exit_code == 0
    r = check(worked, "--head", f"{rid}:{digest_[:8]}")
    assert r.exit_code == 2 and "至少 16 位" in r.output


# --- projections -----------------------------------------------------------------------------------

@pytest.mark.parametrize("statement, needle", [
    ("update residents set phone = '13999999999' where id = 1", "residents 第 1 行与日志不一致:phone"),
    ("update residents set name = '张三' where id = 2", "residents 第 2 行与日志不一致:name"),
    ("delete from resident_tags where resident_id = 1", "residents 第 1 行与日志不一致:tags"),
    ("insert into residents (name, village_id) values ('李四', 1)", "residents 第 4 行在日志中没有记录"),
    ("update visits set note = '改了' where id = 1", "visits 第 1 行与日志不一致:note"),
    ("delete from visit_cadres", "visits 第 1 行与日志不一致:cadre_ids"),
    ("update villages set name = '东平村' where id = 1", "villages 第 1 行与日志不一致:name"),
    ("update units set level = 'county' where id = 2", "units 第 2 行与日志不一致:level"),
    ("update terms set name = '某某' where id = 1", "terms 第 1 行与日志不一致:name"),
    ("insert into terms (kind, name) values ('category', '私加')", "terms 第 33 行在日志中没有记录"),
    ("update cadres set phone = '13900000000' where id = 1", "cadres 第 1 行与日志不一致:phone"),
], ids=["phone", "name", "tags", "resident-unjournaled", "visit-note", "visit-cadres",
        "village", "unit-level", "term", "term-unjournaled", "cadre-phone"])
def test_a_projection_edited_directly_fails_the_check(worked: Cli, statement: str,
                                                      needle: str) -> None:
    sql(worked.path, "PRAGMA foreign_keys = OFF", statement)
    r = check(worked)
    assert r.exit_code == 1 and needle in r.output, r.output


def test_a_row_deleted_directly_is_missing(worked: Cli) -> None:
    sql(worked.path, "PRAGMA foreign_keys = OFF", "delete from visit_cadres where visit_id = 1",
        "delete from visits where id = 1")
    r = check(worked)
    assert r.exit_code == 1 and "visits 第 1 行在日志中有记录,但已不在表中" in r.output


# --- who did it --------------------------------------------------------------------------------------

def test_every_row_keeps_the_system_account_and_undo_refuses_another(worked: Cli,
                                                                     monkeypatch) -> None:
    accounts = {r[0] for r in sqlite3.connect(worked.path).execute(
        "select os_user from journal where subject in ('demand', 'visit')")}  # the CLI's rows
    assert accounts == {cli_module._os_account()} and accounts != {""}
    mine = cli_module._os_account
    monkeypatch.setattr(cli_module, "_os_account", lambda: "mallory")
    before = digest(worked.path)
    r = worked("undo")  # same --user 刘洁, another account
    assert r.exit_code == 1 and "系统账户" in r.output and "mallory" in r.output
    assert digest(worked.path) == before
    monkeypatch.setattr(cli_module, "_os_account", mine)
    assert worked("undo").exit_code == 0


def test_the_account_comes_from_the_system_not_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("USER", "somebody-else")
    monkeypatch.setenv("LOGNAME", "somebody-else")
    assert cli_module._os_account() != "somebody-else"


# --- re-import: a conflict is a conflict ----------------------------------------------------------

def _exported(cli: Cli, tmp_path: Path) -> Path:
    out = tmp_path / "诉求.csv"
    assert cli("export", "-o", str(out)).exit_code == 0
    return out


def _edit(path: Path, number: str, column: str, value: str) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    col = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == number:
            row[col] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


def test_reimporting_the_same_export_skips_every_row(worked: Cli, tmp_path: Path) -> None:
    out = _exported(worked, tmp_path)
    r = worked("import", str(out))
    assert r.exit_code == 0 and "已有跳过 2 条" in r.output


@pytest.mark.parametrize("column, value, ledger_value", [
    ("诉求内容", "路灯坏了三天", "路灯坏了"),
    ("状态", "已办结", "办理中"),
    ("类别", "基础设施", ""),
])
def test_a_row_whose_number_exists_with_other_content_is_a_conflict(
        worked: Cli, tmp_path: Path, column: str, value: str, ledger_value: str) -> None:
    out = _exported(worked, tmp_path)
    _edit(out, "2026-000001", column, value)
    if column == "状态":
        _edit(out, "2026-000001", "办结日期", "2026-11-12")
        _edit(out, "2026-000001", "办理结果", "修好了")
    before = digest(worked.path)
    r = worked("import", str(out))
    assert r.exit_code == 2 and "已在台账中" in r.output and "2026-000001" in r.output
    assert f"\t{column}\t{value}\t" in r.output  # number, column, file value ...
    assert f"台账为“{ledger_value}”" in r.output  # ... and the ledger's value
    assert digest(worked.path) == before


def test_update_records_a_text_or_class_change_as_a_step(worked: Cli, tmp_path: Path) -> None:
    out = _exported(worked, tmp_path)
    _edit(out, "2026-000001", "诉求内容", "路灯坏了三天")
    _edit(out, "2026-000001", "类别", "基础设施")
    r = worked("import", str(out), "--update")
    assert r.exit_code == 0 and "按文件更正 1 条" in r.output, r.output
    d = worked.ledger().demands.show("2026-000001")
    assert (d["text"], d["category"]) == ("路灯坏了三天", "基础设施")
    assert [e["action"] for e in d["events"]][-2:] == ["correct", "classify"]
    assert "按导入文件 诉求.csv 更正" in [e["reason"] for e in d["events"]]
    assert check(worked).exit_code == 0


def test_update_refuses_what_no_single_step_can_make(worked: Cli, tmp_path: Path) -> None:
    out = _exported(worked, tmp_path)
    _edit(out, "2026-000001", "状态", "已办结")
    _edit(out, "2026-000001", "办结日期", "2026-11-12")
    _edit(out, "2026-000001", "办理结果", "修好了")
    before = digest(worked.path)
    r = worked("import", str(out), "--update")
    assert r.exit_code == 2 and "没有一个办理环节能这样改" in r.output
    assert digest(worked.path) == before
