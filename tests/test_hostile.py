"""A hostile battery: the ledger used as someone who means harm, or a clerk at the end of a
long day, would use it. Every case goes through the command line (and the sqlite3 module
for what a user with the file does behind the ledger's back) and asserts the refusal or the
finding, the exit code, one line, and the file unchanged.

The cases beyond the bad-input table of tests/test_cli.py: CASES (table-driven refusals),
OUTPUTS (files the ledger must not hurt), MISSING (paths where there is no ledger), and the
tests after them; ``test_the_battery_has_at_least_sixty_cases`` counts them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any, Callable

import pytest

from ledger import cli as cli_module
from ledger import store
from ledger.services import Ledger, open_ledger

from .conftest import TODAY, Cli

N1 = "2026-000001"
LONG = 100_000


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def out(r: Any) -> str:
    text = r.output or ""
    try:
        err = r.stderr or ""
    except ValueError:
        err = ""
    return text + ("" if err in text else err)


def refused(cli: Cli, *args: str, code: int, needle: str = "", **kw: Any) -> str:
    """Refused: the exit code, one short line naming the problem, the file untouched."""
    before = cli.digest()
    r = cli(*args, **kw)
    text = out(r)
    assert r.exit_code == code, f"exit {r.exit_code}, expected {code}:\n{text}"
    assert "Traceback" not in text and "Usage:" not in text
    lines = text.strip().splitlines()
    # one line, and at most one hint (the nearest names of a mistyped command or option)
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith(("是不是要用", "did you mean"))), \
        f"expected one line, got:\n{text}"
    assert lines[0].startswith(("错误:", "error: ")), lines[0]
    assert len(lines[0]) <= 300, f"{len(lines[0])} characters: a value was echoed whole"
    assert needle in text, f"{needle!r} not in {text!r}"
    assert cli.digest() == before, "a refused command changed the ledger file"
    return text


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


def add_demand(cli: Cli) -> None:
    L = cli.ledger()
    L.demands.add("三组路灯不亮", village="东坪村", on="2026-11-10")
    L.db.close()


# --- table-driven refusals: (args, exit code, needle, set-up) --------------------------------

def _old_fullwidth_village(cli: Cli) -> None:
    """A village stored before names were normalised (as an older version let it be)."""
    L = cli.ledger()
    vid = L.db.execute("insert into villages (name, township_id, kind) values ('Ａ村', 1, '村')"
                       ).lastrowid
    L.journal.write("village", vid, "add", TODAY.isoformat(),
                    {"name": "Ａ村", "township_id": 1, "kind": "村"})
    L.db.conn.commit()
    L.db.close()


def _village_a(cli: Cli) -> None:
    assert cli("village", "add", "A村").exit_code == 0


CASES: dict[str, tuple[list[str], int, str, Callable[[Cli], None] | None]] = {
    # names that cannot be confused
    "fullwidth-twin": (["village", "add", "Ａ村"], 1, "已经存在", _village_a),
    "halfwidth-twin-of-old": (["village", "add", "A村"], 1, "已经存在", _old_fullwidth_village),
    "zero-width-space": (["resident", "add", "张\u200b三", "--village", "东坪村"], 2, "U+200B", None),
    "rtl-override": (["resident", "add", "\u202e张三", "--village", "东坪村"], 2, "U+202E", None),
    "zero-width-joiner": (["village", "add", "北山村\u200d"], 2, "U+200D", None),
    "bom-in-name": (["unit", "add", "镇司法所\ufeff"], 2, "U+FEFF", None),
    "isolate-in-name": (["cadre", "add", "王\u2066建国"], 2, "U+2066", None),
    "hangul-filler": (["category", "add", "\u3164"], 2, "U+3164", None),
    "soft-hyphen": (["channel", "add", "微\u00ad信"], 2, "U+00AD", None),
    "nbsp-twin": (["township", "add", "青石镇\u00a0"], 1, "已经存在", None),
    "ideographic-space-twin": (["township", "add", "\u3000青石镇"], 1, "已经存在", None),
    "inner-spaces-twin": (["unit", "add", "镇  司法所"], 1, "已经存在",
                          lambda c: c("unit", "add", "镇 司法所")),
    "fullwidth-digits-twin": (["channel", "add", "１２３４５热线"], 1, "已经存在", None),
    "line-break-in-name": (["village", "add", "北山\n村"], 2, "控制字符", None),
    "c1-control-in-name": (["village", "add", "北山\x85村"], 2, "控制字符", None),
    "rlo-in-text": (["issue", "add", "路灯\u202e坏了", "--village", "东坪村"], 2, "U+202E", None),
    "zero-width-village-ref": (["issue", "add", "路灯", "--village", "东坪村\u200b"], 2, "U+200B", None),
    # dates outside 1900..2200 and other malformed values
    "date-1899": (["issue", "add", "路灯", "--village", "东坪村", "--date", "1899-12-31"], 2, "1900", None),
    "date-2201": (["issue", "list", "--from", "2201-01-01"], 2, "2200", None),
    "today-9999": (["--today", "9999-01-01", "issue", "list"], 2, "9999", None),
    "date-garbage": (["visit", "list", "--from", "2026-11-17; drop table journal"], 2, "2026-11-17", None),
    # click's usage errors, each one line
    "within-abc": (["due", "--within", "abc"], 2, "--within 应为整数,不是“abc”", None),
    "within-61": (["due", "--within", "61"], 2, "60", None),
    "within-negative": (["due", "--within", "-1"], 2, "60", None),
    "amount-1e3": (["policy", "set", "--complexity", "general", "--amount", "1e3"], 2, "1e3", None),
    "amount-zero": (["policy", "set", "--complexity", "general", "--amount", "0"], 2, "0", None),
    "amount-huge": (["policy", "set", "--complexity", "general", "--amount", "99999"], 2, "99999", None),
    "days-float": (["issue", "extend", N1, "--reason", "测绘", "--approver", "李局长", "--days", "1.5"],
                   2, "1.5", None),
    "limit-word": (["issue", "list", "--limit", "全部"], 2, "全部", None),
    "year-word": (["calendar", "show", "明年"], 2, "明年", None),
    "month-13": (["calendar", "show", "2026", "--month", "13"], 2, "13", None),
    "db-directory-before": (["--db", "{tmp}", "issue", "list"], 2, "是一个文件夹", None),
    "db-directory-after": (["issue", "list", "--db", "{tmp}"], 2, "是一个文件夹", None),
    "unknown-option": (["issue", "list", "--everything"], 2, "没有选项 --everything", None),
    "missing-argument": (["issue", "show"], 2, "缺少 NUMBER", None),
    "unknown-command": (["issue", "lst"], 2, "lst", None),
    # values echoed in messages are cut to 80 characters
    "long-number": (["issue", "show", "2026-" + "9" * LONG], 2, "100005", None),
    "long-resident-ref": (["resident", "show", "张" * LONG], 2, "100000", None),
    "long-village": (["issue", "add", "路灯", "--village", "村" * LONG], 2, "100000", None),
    "long-status": (["issue", "list", "--status", "x" * LONG], 2, "…", None),
    "long-head": (["check", "--head", "1:" + "f" * LONG], 2, "…", None),
    "long-setting": (["setting", "set", "weight.response", "9" * LONG], 2, "…", None),
    # refused steps and the record
    "head-malformed": (["check", "--head", "abc"], 2, "编号:哈希", None),
    "calendar-without-holidays": (["calendar", "add", "{tmp}/2027.toml"], 1, "春节", None),
    "restore-without-force": (["restore", "{tmp}/b.db"], 1, "--force", None),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_in_one_line_and_nothing_changes(cli: Cli, tmp_path: Path, case: str) -> None:
    args, code, needle, prepare = CASES[case]
    add_demand(cli)
    (tmp_path / "2027.toml").write_text(
        'year = 2027\nnotice = "通知"\nrest = ["2027-01-01..2027-01-03"]\nwork = []\n',
        encoding="utf-8")
    cli("backup", str(tmp_path / "b.db"))
    if prepare:
        prepare(cli)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    refused(cli, *args, code=code, needle=needle)


# --- outputs that cannot hurt -------------------------------------------------------------------

def _symlink(p: Path) -> Callable[[], bool]:
    target = p.with_name("precious.txt")
    target.write_text("precious", encoding="utf-8")
    p.symlink_to(target)
    return lambda: p.is_symlink() and target.read_text(encoding="utf-8") == "precious"


def _fifo(p: Path) -> Callable[[], bool]:
    os.mkfifo(p)
    return lambda: stat.S_ISFIFO(os.lstat(p).st_mode)


def _folder(p: Path) -> Callable[[], bool]:
    p.mkdir()
    return lambda: p.is_dir() and not any(p.iterdir())


def _existing(p: Path) -> Callable[[], bool]:
    p.write_text("上周的报表", encoding="utf-8")
    return lambda: p.read_text(encoding="utf-8") == "上周的报表"


def _missing_folder(p: Path) -> Callable[[], bool]:
    return lambda: not p.parent.exists()


TARGETS = {"symlink": (_symlink, "符号链接"), "fifo": (_fifo, "命名管道"),
           "folder": (_folder, "文件夹"), "existing": (_existing, "--force"),
           "missing-folder": (_missing_folder, "不存在")}
COMMANDS = {"export": ["export", "-o"], "export-unmask": ["export", "--unmask", "-o"],
            "summary": ["summary", "--output"], "report": ["report", "--format", "csv", "--output"],
            "backup": ["backup"]}
OUTPUTS = [(c, t) for c in COMMANDS for t in TARGETS]


@pytest.mark.parametrize("command, target", OUTPUTS, ids=[f"{c}-{t}" for c, t in OUTPUTS])
@pytest.mark.skipif(os.name != "posix", reason="symlinks and named pipes")
def test_an_output_never_replaces_what_is_not_its_own(cli: Cli, tmp_path: Path, command: str,
                                                      target: str) -> None:
    make, needle = TARGETS[target]
    path = tmp_path / ("no-such-folder" if target == "missing-folder" else "") / "out.csv"
    intact = make(path)
    refused(cli, *COMMANDS[command], str(path), code=1, needle=needle)
    assert intact()
    assert not list(tmp_path.glob("**/.out.csv.*.tmp")), "a temporary file was left behind"


@pytest.mark.parametrize("args", [["export", "--force", "-o"], ["summary", "--force", "--output"],
                                  ["backup", "--force"]], ids=lambda a: a[0])
def test_an_output_never_replaces_the_ledger_itself(cli: Cli, args: list[str]) -> None:
    refused(cli, *args, str(cli.path), code=1, needle="台账文件本身")


@pytest.mark.skipif(os.name != "posix", reason="devices")
def test_an_output_never_replaces_a_device(cli: Cli) -> None:
    refused(cli, "export", "-o", "/dev/null", "--force", code=1, needle="设备文件")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_force_replaces_a_regular_file_whole(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old", encoding="utf-8")
    assert cli("export", "-o", str(path), "--force").exit_code == 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.skipif(os.name != "posix", reason="file modes")
@pytest.mark.parametrize("args, mode", [
    (["export", "--unmask", "-o"], 0o600), (["export", "residents", "-o"], 0o600),
    (["export", "--mask-names", "-o"], 0o644), (["summary", "--unmask", "--output"], 0o600),
    (["report", "--output"], 0o644), (["backup"], 0o600),
], ids=["unmasked", "names", "masked", "summary-unmask", "report", "backup"])
def test_files_with_personal_data_in_full_are_private(cli: Cli, tmp_path: Path,
                                                      args: list[str], mode: int) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "f.out"
        assert cli(*args, str(path)).exit_code == 0
        assert stat.S_IMODE(path.stat().st_mode) == mode
    finally:
        os.umask(old)


def test_export_writes_to_standard_output_only_when_asked(cli: Cli, tmp_path: Path,
                                                           monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("export")
    assert r.exit_code == 0 and not r.stdout_bytes.startswith(b"\xef\xbb\xbf")
    assert (tmp_path / f"诉求台账-{TODAY.isoformat()}.csv").is_file()
    r = cli("export", "-o", "-")
    assert r.exit_code == 0 and r.stdout_bytes.startswith(b"\xef\xbb\xbf")
    refused(cli, "export", code=1, needle="--force")  # today's file is there now


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_an_errors_file_is_never_written_through_a_symlink(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("受理日期,村/社区,诉求内容\n2026-11-16,东平村,路灯\n", encoding="utf-8")
    link = tmp_path / "errors.csv"
    intact = _symlink(link)
    r = cli("import", str(bad), "--errors", str(link))
    assert r.exit_code == 2 and "符号链接" in out(r) and intact()


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_the_demo_never_replaces_a_symlink(tmp_path: Path) -> None:
    link = tmp_path / "demo.db"
    intact = _symlink(link)
    r = Cli(link)("demo", "--db", str(link), "--force")
    assert r.exit_code == 1 and "符号链接" in out(r) and intact()


# --- a path where there is no ledger: told so, and nothing created ---------------------------------

MISSING = [["undo"], ["issue", "list"], ["check"], ["summary"], ["report"], ["due"],
           ["export", "-o", "-"], ["resident", "show", "张秀兰"], ["backup", "{tmp}/b.db"],
           ["issue", "add", "路灯", "--village", "东坪村"], ["visit", "list"],
           ["calendar", "list"], ["policy", "list"], ["setting", "list"]]


@pytest.mark.parametrize("args", MISSING, ids=lambda a: "-".join(a[:2]))
def test_a_command_on_a_path_without_a_ledger_creates_nothing(tmp_path: Path,
                                                              args: list[str]) -> None:
    path = tmp_path / "new.db"
    r = Cli(path)(*[a.replace("{tmp}", str(tmp_path)) for a in args], "--db", str(path))
    assert r.exit_code == 1 and "没有台账" in out(r) and "township add" in out(r)
    assert len(out(r).strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_command_that_sets_up_a_ledger_still_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    assert Cli(path)("township", "add", "白马镇", "--db", str(path)).exit_code == 0
    assert path.is_file()
    bad = tmp_path / "bad.db"
    assert Cli(bad)("village", "add", "北\u200b村", "--db", str(bad)).exit_code == 2
    assert not bad.exists()  # refused: no file left behind


# --- the journal, behind the ledger's back ------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "insert or replace into journal select id, subject, subject_id, action, on_date, 'mallory', "
    "reason, data, recorded_at, command, os_user, hash, origin, origin_id from journal where id = 1",
    "update journal set data = '{}' where subject = 'resident'",
    "delete from journal where subject = 'resident'",
], ids=["replace", "update", "delete"])
def test_the_journal_refuses_a_rewrite(cli: Cli, statement: str) -> None:
    before = cli.digest()
    conn = sqlite3.connect(cli.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(statement)
    conn.close()
    assert cli.digest() == before and cli("check").exit_code == 0


def test_a_resident_edited_directly_fails_the_check(cli: Cli) -> None:
    sql(cli.path, "update residents set name = '张秀英' where id = 1")
    r = cli("check")
    assert r.exit_code == 1 and "residents 第 1 行与日志不一致:name" in out(r)


def test_undo_refuses_another_system_account(cli: Cli, monkeypatch) -> None:
    assert cli("issue", "add", "路灯", "--village", "东坪村").exit_code == 0
    monkeypatch.setattr(cli_module, "_os_account", lambda: "mallory")
    refused(cli, "undo", code=1, needle="mallory")


# --- edges that leaked ----------------------------------------------------------------------------------

def test_a_full_disk_has_its_own_message(cli: Cli, monkeypatch) -> None:
    real = sqlite3.connect

    def full(*a: Any, **kw: Any) -> sqlite3.Connection:
        conn = real(*a, **kw)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(store.sqlite3, "connect", full)
    text = refused(cli, "import", str(_big_csv(cli.path.parent)), "--create-missing", code=1,
                   needle="磁盘已满")
    assert "不是台账" not in text


def _big_csv(folder: Path) -> Path:
    path = folder / "big.csv"
    rows = ["受理日期,村/社区,诉求内容"] + [f"2026-11-16,东坪村,第{i}件 " + "很长的诉求" * 40
                                          for i in range(3000)]
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


def test_a_file_locked_past_the_timeout_has_its_own_message(cli: Cli, monkeypatch) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(cli.path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        refused(cli, "issue", "add", "路灯", "--village", "东坪村", code=1, needle="占用")
    finally:
        holder.rollback()
        holder.close()


def test_a_read_only_file_has_its_own_message(cli: Cli, monkeypatch) -> None:
    real = sqlite3.connect

    def read_only(database: Any, *a: Any, **kw: Any) -> sqlite3.Connection:
        if str(database).endswith("ledger.db"):
            return real(f"{Path(database).resolve().as_uri()}?mode=ro", *a, uri=True,
                        **{k: v for k, v in kw.items() if k != "uri"})
        return real(database, *a, **kw)

    monkeypatch.setattr(store.sqlite3, "connect", read_only)
    assert cli("issue", "list").exit_code == 0  # reading still works
    refused(cli, "issue", "add", "路灯", "--village", "东坪村", code=1, needle="只读")


def test_a_failing_disk_has_its_own_message(cli: Cli) -> None:
    err = store.file_error(sqlite3.OperationalError("disk I/O error"), cli.path)
    assert err.key == "file.io_error" and "磁盘出错" in err.message()


def test_an_import_error_about_an_enormous_cell_echoes_80_characters(cli: Cli,
                                                                      tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("受理日期,村/社区,诉求内容\n2026-11-16," + "东" * LONG + ",路灯\n",
                   encoding="utf-8")
    before = cli.digest()
    r = cli("import", str(bad))
    assert r.exit_code == 2 and cli.digest() == before
    assert max(len(line) for line in out(r).splitlines()) < 300


def test_restore_twice_a_day_keeps_both_safety_copies(cli: Cli, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert cli("backup", str(backup)).exit_code == 0
    first = cli.digest()
    assert cli("restore", str(backup), "--force").exit_code == 0
    assert cli("issue", "add", "又一件", "--village", "东坪村").exit_code == 0
    second = cli.digest()
    assert cli("restore", str(backup), "--force").exit_code == 0
    kept = sorted(p.name for p in tmp_path.glob("ledger.db.before-restore-*"))
    assert kept == ["ledger.db.before-restore-2026-11-17", "ledger.db.before-restore-2026-11-17-2"]
    counts = [Ledger(open_ledger(tmp_path / k), today=TODAY).db["demands"].count for k in kept]
    assert counts == [0, 1] and first != second


@pytest.mark.parametrize("args, view", [
    (["resident", "show", "张秀兰", "--unmask"], "resident show"),
    (["resident", "find", "张", "--unmask"], "resident find"),
    (["summary", "--unmask"], "summary"),
])
def test_every_unmasked_view_is_journaled(cli: Cli, args: list[str], view: str) -> None:
    assert cli(*args).exit_code == 0
    rows = sqlite3.connect(cli.path).execute(
        "select actor, data from journal where subject = 'view' and action = 'unmask'").fetchall()
    assert len(rows) == 1 and rows[0][0] == "刘洁" and f'"view": "{view}"' in rows[0][1]
    assert cli("check").exit_code == 0


def test_markup_and_emoji_codes_in_a_clerks_text_are_shown_as_typed(cli: Cli) -> None:
    note = "[b]急[/b]:smile:"
    assert cli("visit", "log", "--village", "东坪村", "--resident", "张秀兰", "--note", note,
               "--issue", note).exit_code == 0
    for args in (["visit", "list"], ["issue", "list"], ["resident", "show", "张秀兰"]):
        text = out(cli(*args))
        assert ":smile:" in text and "[b]" in text and "😄" not in text, args
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, emoji=False, width=200)
    session = cli_module.Session()
    session.plain = False
    session.output = console.file
    session.print(note)
    assert ":smile:" in console.file.getvalue() or ":smile:" in session.output.getvalue()


def test_a_name_typed_full_width_finds_its_half_width_twin(cli: Cli) -> None:
    assert cli("village", "add", "ＡＢ村").exit_code == 0  # stored as AB村
    assert cli("issue", "add", "路灯", "--village", "AB村").exit_code == 0
    assert cli("issue", "add", "路灯", "--village", "ＡＢ村").exit_code == 0
    names = [r[0] for r in sqlite3.connect(cli.path).execute("select name from villages")]
    assert "AB村" in names and "ＡＢ村" not in names


def test_check_lists_lookalike_names_of_an_old_ledger(cli: Cli) -> None:
    _old_fullwidth_village(cli)
    sql(cli.path, "drop trigger journal_append_only")  # an older version wrote it so
    L = cli.ledger()
    vid = L.db.execute("insert into villages (name, township_id, kind) values ('A村', 1, '村')"
                       ).lastrowid
    L.journal.write("village", vid, "add", TODAY.isoformat(),
                    {"name": "A村", "township_id": 1, "kind": "村"})
    L.db.conn.commit()
    L.db.close()
    sql(cli.path, "CREATE TRIGGER journal_append_only BEFORE INSERT ON journal "
        "WHEN new.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM journal) "
        "OR new.hash IS NULL OR length(new.hash) <> 64 "
        "BEGIN SELECT RAISE(ABORT, 'the journal is append-only: rows are added at its end, "
        "by ledger'); END")
    r = cli("check")
    assert r.exit_code == 0, out(r)  # a warning, not a fault
    assert "“Ａ村”和“A村”看起来是同一个名称" in out(r)


@pytest.mark.parametrize("text, cell", [
    (" =1+1", "' =1+1"), ("＝1+1", "＝1+1"), ("＋1", "＋1"), ("－1", "－1"), ("＠SUM(1)", "＠SUM(1)"),
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
])
def test_every_csv_cell_is_escaped_by_one_rule(cli: Cli, text: str, cell: str) -> None:
    from ledger.io.csvformat import escape_cell

    assert escape_cell(text) == cell
    if text.strip() == text:
        assert cli("issue", "add", text, "--village", "东坪村").exit_code == 0
        for args in (["export", "-o", "-"], ["issue", "list", "--format", "csv"]):
            r = cli(*args)
            rows = list(csv.reader(io.StringIO(r.stdout_bytes.decode("utf-8-sig"))))
            assert cell in [c for row in rows for c in row], args


def test_the_battery_has_at_least_sixty_cases() -> None:
    tests = [v for k, v in globals().items() if k.startswith("test_") and callable(v)]
    params = len(CASES) + len(OUTPUTS) + len(MISSING)
    assert params + len(tests) >= 60
