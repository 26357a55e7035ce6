"""What the Windows build meets, tested on any system: names Windows keeps for devices, a file
another program holds open, redirected output in the GBK code page, long paths, no login name.
Windows itself is played by monkeypatching the one name each module reads (``WINDOWS``) or the
error the system would raise (``winerror``), never ``os.name``, which pathlib reads too."""

from __future__ import annotations

import errno
import io
import os
import sqlite3
import sys
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger import cli as cli_module
from ledger import store, terminal
from ledger.errors import BadInput, LedgerFileError
from ledger.io import files
from ledger.io.backup import backup, restore
from ledger.services import Ledger, open_ledger

from .conftest import TODAY, Cli, invoke, setup_township


def lines_of(r: Any) -> list[str]:
    """What the command said (standard output and error), line by line."""
    text = r.output or ""
    try:
        err = r.stderr or ""
    except ValueError:
        err = ""
    return (text + ("" if err in text else err)).strip().splitlines()


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --- 1. names Windows keeps for devices, or cannot hold ---------------------------------------

DEVICES = ["NUL.csv", "nul.csv", "con.tar.gz", "Con.txt.xlsx", "CON", "aux.txt", "PRN.xlsx",
           "COM1.csv", "com9.txt", "LPT1.json", "lpt9", "COM¹.csv", "lpt³.txt", "nul .csv",
           "NUL.", "nul ", "CONOUT$.txt"]


@pytest.mark.parametrize("name", DEVICES)
def test_a_device_name_is_never_an_output(cli: Cli, tmp_path: Path, name: str) -> None:
    before = listing(tmp_path)
    r = cli("export", "-o", str(tmp_path / name))
    assert r.exit_code == 2
    assert lines_of(r) == [f"错误:“{name}”是 Windows 的保留设备名,不能用作文件名;"
                           "请换一个名字(未写入任何内容)"]
    assert listing(tmp_path) == before  # nothing written, no temporary file either


@pytest.mark.parametrize("name", ["COM0.csv", "COM10.csv", "LPT.txt", "console.csv", "nul1.csv",
                                  "auxiliary.xlsx", "周报.con", "a.nul", "CONIN.txt", "prn-1.csv"])
def test_names_that_only_look_like_devices_are_written(cli: Cli, tmp_path: Path,
                                                       name: str) -> None:
    r = cli("export", "-o", str(tmp_path / name))
    assert r.exit_code == 0, lines_of(r)
    assert (tmp_path / name).is_file()


@pytest.mark.parametrize("name, char", [("a:b.csv", ":"), ("周报?.csv", "?"), ("a*.csv", "*"),
                                        ("a<b>.csv", "<"), ('a"b.csv', '"'), ("a|b.csv", "|"),
                                        ("a\tb.csv", "U+0009"), ("a\x1b[31m.csv", "U+001B")])
def test_a_character_windows_refuses_is_never_in_an_output_name(cli: Cli, tmp_path: Path,
                                                                name: str, char: str) -> None:
    before = listing(tmp_path)
    r = cli("summary", "--output", str(tmp_path / name))
    shown = name.replace("\t", "\\x09").replace("\x1b", "\\x1b")
    assert r.exit_code == 2
    assert lines_of(r) == [f"错误:“{shown}”含有 Windows 文件名中不能用的字符“{char}”;"
                           "请换一个名字(未写入任何内容)"]
    assert listing(tmp_path) == before


@pytest.mark.parametrize("name", ["周报.csv.", "周报.csv ", "周报..."])
def test_a_name_ending_in_a_dot_or_space_is_refused(cli: Cli, tmp_path: Path, name: str) -> None:
    before = listing(tmp_path)
    r = cli("--lang", "en", "export", "-o", str(tmp_path / name))
    assert r.exit_code == 2
    assert lines_of(r) == [f"error: '{name}' ends in a dot or a space, which Windows drops "
                           "(writing another file); choose another name (nothing was written)"]
    assert listing(tmp_path) == before


@pytest.mark.parametrize("args", [["backup", "{dir}/nul.db"], ["backup", "{dir}/b.db."],
                                  ["report", "--format", "csv", "--output", "{dir}/LPT1.csv"],
                                  ["export", "--format", "xlsx", "-o", "{dir}/con.xlsx"],
                                  ["demo", "--db", "{dir}/aux.db"]],
                         ids=["backup", "backup-dot", "report", "xlsx", "demo"])
def test_every_writer_refuses_such_a_name(cli: Cli, tmp_path: Path, args: list[str]) -> None:
    before = listing(tmp_path)
    r = cli(*[a.format(dir=tmp_path) for a in args])
    assert r.exit_code == 2, lines_of(r)
    assert len(lines_of(r)) == 1 and "Windows" in lines_of(r)[0]
    assert listing(tmp_path) == before


def test_a_refused_import_lists_its_problems_when_its_errors_file_name_is_refused(
        cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("受理日期,村/社区,诉求内容\n2026-11-16,东平村,路灯\n", encoding="utf-8")
    r = cli("import", str(bad), "--errors", str(tmp_path / "NUL.csv"))
    assert r.exit_code == 2  # the import's own refusal
    text = "\n".join(lines_of(r))
    assert "东平村" in text and "“NUL.csv”是 Windows 的保留设备名" in text
    assert not (tmp_path / "NUL.csv").exists()


@pytest.mark.parametrize("name", ["nul.db", "Com1.ledger.db", "台账.db.", "台账?.db"])
def test_a_new_ledger_needs_a_name_windows_can_hold(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    r = Cli(path)("--db", str(path), "township", "add", "青石镇")
    assert r.exit_code == 2
    assert len(lines_of(r)) == 1 and f"“{name}”" in lines_of(r)[0]
    assert listing(tmp_path) == set()  # no ledger, no -wal, nothing
    with pytest.raises(BadInput):
        open_ledger(path)
    source = _a_backup(tmp_path / "sub")
    with pytest.raises(BadInput):  # nor does a restore create one by that name
        restore(path, source, today=TODAY)
    assert not path.exists()


def _a_backup(folder: Path) -> Path:
    folder.mkdir()
    L = setup_township(Ledger(open_ledger(folder / "l.db"), today=TODAY, user="刘洁"))
    backup(L, folder / "b.db")
    L.db.conn.close()
    return folder / "b.db"


def test_an_existing_ledger_by_such_a_name_is_still_opened(tmp_path: Path) -> None:
    """A ledger made on Linux as con.db before this rule is not locked out there: only a
    name about to be created is refused (on Windows, con.db is the device, not a file)."""
    path = tmp_path / "con.db"
    setup_township(Ledger(open_ledger(tmp_path / "ok.db"), today=TODAY, user="刘洁")).db.close()
    (tmp_path / "ok.db").rename(path)
    r = Cli(path)("--db", str(path), "township", "list")
    assert r.exit_code == 0 and "青石镇" in r.output


def test_only_the_last_part_of_a_windows_path_is_judged() -> None:
    for path in (r"C:\Users\张三\桌面\民情 台账\台账.db", r"C:台账.csv", r"D:\备份\周报.xlsx",
                 r"\\server\share\nul-not\a.csv"):
        files.check_name(PureWindowsPath(path))  # type: ignore[arg-type]
    with pytest.raises(BadInput):
        files.check_name(PureWindowsPath(r"C:\Users\张三\NUL.csv"))  # type: ignore[arg-type]


def test_a_path_with_spaces_and_chinese_holds_a_ledger(tmp_path: Path) -> None:
    folder = tmp_path / "张三" / "桌面" / "民情 台账"
    folder.mkdir(parents=True)
    path = folder / "台账.db"
    c = Cli(path)
    assert c("--db", str(path), "township", "add", "青石镇").exit_code == 0
    assert c("--db", str(path), "backup", str(folder / "备份 1.db")).exit_code == 0
    assert c("--db", str(path), "export", "-o", str(folder / "诉求 台账.csv")).exit_code == 0
    assert listing(folder) == {"台账.db", "备份 1.db", "诉求 台账.csv"}


# --- 2. a file another program holds open ---------------------------------------------------

def _held(winerror: int):
    def replace(src: Any, dst: Any) -> None:
        e = PermissionError(errno.EACCES, "另一个程序正在使用此文件,进程无法访问。")
        e.winerror = winerror  # type: ignore[attr-defined]
        raise e
    return replace


@pytest.mark.parametrize("winerror", [32, 33, 5])
def test_an_output_open_in_another_program_is_told_so_and_left_as_it_was(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, winerror: int) -> None:
    target = tmp_path / "周报.xlsx"
    target.write_bytes(b"last week")
    monkeypatch.setattr(os, "replace", _held(winerror))
    r = cli("export", "--format", "xlsx", "-o", str(target), "--force")
    assert r.exit_code == 1
    assert lines_of(r) == [f"错误:{target} 正被另一个程序打开(如 WPS、Excel 或另一个 ledger 窗口),"
                           "无法替换;请关闭它后重新运行此命令(原有文件未动)"]
    assert target.read_bytes() == b"last week"
    assert listing(tmp_path) == {"周报.xlsx", "ledger.db"}  # the temporary file removed


def test_the_same_in_english(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "b.db"
    monkeypatch.setattr(os, "replace", _held(32))
    r = cli("--lang", "en", "backup", str(target))
    assert r.exit_code == 1
    assert lines_of(r) == [f"error: {target} is open in another program (WPS, Excel, another "
                           "ledger window ...) and cannot be replaced; close it and run the "
                           "command again (any file there is as it was)"]
    assert listing(tmp_path) == {"ledger.db"}


def test_access_denied_on_a_read_only_file_is_still_a_permission(tmp_path: Path) -> None:
    """Windows refuses to replace a read-only file with the same error as one open in WPS: a
    file that cannot be written is told as a missing permission, not as open elsewhere."""
    target = tmp_path / "r.csv"
    target.write_text("x")
    e = PermissionError(errno.EACCES, "拒绝访问。")
    e.winerror = 5  # type: ignore[attr-defined]
    assert files.os_error(e, target, replacing=True).key == "output.in_use"
    assert files.os_error(e, target).key == "output.no_permission"  # not when replacing
    assert files.os_error(e, tmp_path / "none.csv", replacing=True).key == "output.no_permission"
    os.chmod(target, 0o444)
    try:
        if not os.access(target, os.W_OK):  # (root can write anything)
            assert files.os_error(e, target, replacing=True).key == "output.no_permission"
    finally:
        os.chmod(target, 0o644)
    assert files.os_error(PermissionError(errno.EACCES, "x"), target,
                          replacing=True).key == "output.no_permission"  # Linux: no winerror


def test_the_demo_replacing_a_file_held_open_is_told_so(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo is built beside the file and renamed over it at the end (issue 24): the
    rename Windows refuses is told so, and the file is left as it was, with no temporary
    file beside it."""
    path = tmp_path / "demo.db"
    path.write_bytes(b"")
    replace = os.replace

    def held(src: str, dst: str) -> None:
        if Path(dst) == path:
            e = PermissionError(errno.EACCES, "另一个程序正在使用此文件")
            e.winerror = 32  # type: ignore[attr-defined]
            raise e
        replace(src, dst)
    monkeypatch.setattr(os, "replace", held)
    r = Cli(path)("demo", "--db", str(path), "--force")
    assert r.exit_code == 1 and "正被另一个程序打开" in lines_of(r)[0]
    assert path.read_bytes() == b"" and [p.name for p in tmp_path.iterdir()] == ["demo.db"]


def test_a_restore_over_a_ledger_another_program_holds_is_refused_cleanly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database browser with unsaved changes holds the ledger's write lock: the restore
    waits as any writer does, then says so in one line; the ledger is as it was, and no
    safety copy is left. (Python's own backup() would have retried for ever.)"""
    source = _a_backup(tmp_path / "b")
    path = tmp_path / "ledger.db"
    setup_township(Ledger(open_ledger(path), today=TODAY, user="刘洁")).db.close()
    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.2)
    browser = sqlite3.connect(path)
    browser.execute("BEGIN IMMEDIATE")
    try:
        before = path.read_bytes()
        r = Cli(path)("--db", str(path), "restore", str(source), "--force")
    finally:
        browser.rollback()
        browser.close()
    assert r.exit_code == 1
    assert lines_of(r) == [f"错误:{path} 正被另一个程序打开(如另一个 ledger 窗口、数据库浏览器、WPS 或 "
                           "Excel);请关闭它后重新运行此命令(未写入任何内容)"]
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("ledger.db.before-restore-*"))


def test_a_restore_while_another_connection_merely_has_the_ledger_open(tmp_path: Path) -> None:
    """Another ledger window with the file open but not writing (Linux and Windows alike:
    SQLite shares the file): the restore goes ahead, and that window then reads the backup."""
    source = _a_backup(tmp_path / "b")
    path = tmp_path / "ledger.db"
    L = setup_township(Ledger(open_ledger(path), today=TODAY, user="刘洁"))
    L.demands.add("路灯坏了", village="东坪村")
    other = sqlite3.connect(path)
    try:
        assert other.execute("select count(*) from demands").fetchone()[0] == 1
        kept = restore(path, source, today=TODAY, force=True)
        assert other.execute("select count(*) from demands").fetchone()[0] == 0
    finally:
        other.close()
        L.db.conn.close()
    assert kept is not None and kept.is_file()


def test_a_backup_another_program_holds_is_told_so(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    source = _a_backup(tmp_path / "b")

    def copyfile(src: Any, dst: Any) -> None:
        e = PermissionError(errno.EACCES, "另一个程序正在使用此文件")
        e.winerror = 32  # type: ignore[attr-defined]
        raise e
    import shutil
    monkeypatch.setattr(shutil, "copyfile", copyfile)
    with pytest.raises(LedgerFileError) as e:
        restore(tmp_path / "ledger.db", source, today=TODAY)
    assert e.value.key == "file.in_use" and e.value.params["path"] == str(source)


# --- 4. paths too long --------------------------------------------------------------------------

LONG = "长" * 100  # 300 bytes: longer than a Linux file name may be


@pytest.mark.parametrize("args", [["--db", "{dir}/%s.db" % LONG, "township", "add", "青石镇"],
                                  ["--db", "{dir}/%s.db" % LONG, "township", "list"],
                                  ["--db", "{dir}/%s/l.db" % LONG, "township", "add", "青石镇"],
                                  ["restore", "{dir}/%s.db" % LONG, "--force"]],
                         ids=["create", "open", "folder", "restore"])
def test_a_ledger_path_too_long_is_one_line_naming_it(tmp_path: Path, args: list[str]) -> None:
    r = Cli(tmp_path / "ledger.db")(*[a.format(dir=tmp_path) for a in args])
    assert r.exit_code == 1
    (line,) = lines_of(r)
    assert line.startswith(f"错误:路径 {tmp_path}/{LONG}") and "太长" in line


@pytest.mark.parametrize("args", [["export", "-o"], ["backup"], ["summary", "--output"]])
def test_an_output_path_too_long_is_one_line_naming_it(cli: Cli, tmp_path: Path,
                                                       args: list[str]) -> None:
    target = tmp_path / f"{LONG}.csv"
    r = cli(*args, str(target))
    assert r.exit_code == 1
    assert lines_of(r) == [f"错误:路径 {target} 太长,无法写入;请换一个短一些的文件夹或文件名(原有文件未动)"]


def test_windows_says_a_path_too_long_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without long paths switched on, Windows answers a path of 260 characters or more with
    'the path is not found' (winerror 3) or winerror 206: both are told as too long."""
    monkeypatch.setattr(files, "WINDOWS", True)
    long_path = "/x/" + "a" * 300 + ".csv"
    short = "/x/a.csv"
    not_found = FileNotFoundError(errno.ENOENT, "系统找不到指定的路径。")
    assert files.os_error(not_found, long_path).key == "output.too_long"
    assert files.os_error(not_found, short).key == "file.cannot_write"
    tmp_name = FileNotFoundError(errno.ENOENT, "系统找不到指定的路径。", "/x/." + "a" * 300)
    assert files.os_error(tmp_name, short).key == "output.too_long"  # the temporary file's name
    exceeded = FileNotFoundError(errno.ENOENT, "文件名或扩展名太长。")
    exceeded.winerror = 206  # type: ignore[attr-defined]
    assert files.os_error(exceeded, short).key == "output.too_long"
    assert store.path_error(not_found, Path(long_path)).key == "file.too_long"
    monkeypatch.setattr(files, "WINDOWS", False)
    assert files.os_error(not_found, long_path).key == "file.cannot_write"


def test_the_default_ledger_on_windows_is_in_appdata(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from typer._click import utils

    monkeypatch.delenv("LEDGER_DB")
    monkeypatch.setattr(utils, "WIN", True)
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert store.resolve_path(None) == tmp_path / "Roaming" / "ledger" / "ledger.db"


# --- 3. the encoding of redirected output -----------------------------------------------------

@pytest.mark.parametrize("windows, isatty, encoding, env, chosen", [
    (True, False, "cp936", {}, "gb18030"),  # cmd: ledger summary > 周报.txt
    (True, False, "GBK", {}, "gb18030"),
    (True, False, "gb2312", {}, "gb18030"),
    (True, True, "cp936", {}, None),  # the console itself: Unicode already
    (True, False, "utf-8", {}, None),  # PYTHONUTF8=1, -X utf8
    (True, False, "cp1252", {}, None),  # a Western Windows: not ours to change
    (True, False, "gb18030", {}, None),
    (True, False, None, {}, None),
    (True, False, "cp936", {"PYTHONIOENCODING": "gbk"}, None),  # asked for: left be
    (True, False, "cp936", {"PYTHONIOENCODING": ""}, "gb18030"),  # empty: not asked
    (True, False, "cp936", {"LEDGER_ENCODING": "utf-8"}, "utf-8"),
    (True, False, "cp936", {"LEDGER_ENCODING": " utf-8-sig "}, "utf-8-sig"),
    (True, False, "cp936", {"LEDGER_ENCODING": "utf-8", "PYTHONIOENCODING": "gbk"}, "utf-8"),
    (True, True, "cp936", {"LEDGER_ENCODING": "utf-8"}, None),  # a console: never
    (False, False, "utf-8", {}, None),  # Linux as it was
    (False, False, "gbk", {}, None),  # a Linux in a GBK locale too
    (False, True, "utf-8", {}, None),
    (False, False, "utf-8", {"LEDGER_ENCODING": "gb18030"}, "gb18030"),  # asked for: anywhere
])
def test_the_encoding_of_redirected_output(windows: bool, isatty: bool, encoding: str | None,
                                           env: dict[str, str], chosen: str | None) -> None:
    assert terminal.output_encoding(windows, isatty, encoding, env) == chosen


def _fake_stream(encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")


def _run_main(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> int:
    monkeypatch.setattr(sys, "argv", ["ledger", *argv])
    with pytest.raises(SystemExit) as e:
        cli_module.main()
    return e.value.code


def test_main_writes_redirected_output_on_chinese_windows_in_gb18030(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "WINDOWS", True)
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    out, err = _fake_stream("cp936"), _fake_stream("cp936")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert _run_main(monkeypatch, ["township", "add", "𠇔䶮镇"]) == 0
    assert out.encoding == "gb18030" and err.encoding == "gb18030"
    out.flush()
    assert out.buffer.getvalue() == "已新增镇/街道:𠇔䶮镇\n".encode("gb18030")  # no '?'
    # every GBK character in the same bytes as GBK: a GBK reader reads them as before
    assert "已新增镇/街道:".encode("gb18030") == "已新增镇/街道:".encode("gbk")


def test_main_leaves_linux_streams_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "WINDOWS", False)
    out = _fake_stream("utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    assert _run_main(monkeypatch, ["township", "add", "𠇔镇"]) == 0
    assert out.encoding == "utf-8" and out.errors == "replace"
    out.flush()
    assert out.buffer.getvalue() == "已新增镇/街道:𠇔镇\n".encode()


def test_ledger_encoding_sets_redirected_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "WINDOWS", True)
    monkeypatch.setenv("LEDGER_ENCODING", "utf-8")
    out = _fake_stream("cp936")
    monkeypatch.setattr(sys, "stdout", out)
    assert _run_main(monkeypatch, ["township", "add", "青石镇"]) == 0
    out.flush()
    assert out.buffer.getvalue() == "已新增镇/街道:青石镇\n".encode()


@pytest.mark.parametrize("value", ["no-such-codec", "rot13"])
def test_an_unknown_ledger_encoding_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                       isolated: Path, value: str) -> None:
    monkeypatch.setenv("LEDGER_ENCODING", value)
    out, err = _fake_stream("utf-8"), _fake_stream("utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert _run_main(monkeypatch, ["township", "add", "青石镇"]) == 2
    err.flush()
    assert err.buffer.getvalue().decode() == (
        f"错误:LEDGER_ENCODING=“{value}”不是已知的文本编码(例如 utf-8、gb18030)\n")
    assert not isolated.exists()


# --- 5. no login name -------------------------------------------------------------------------

def _no_login(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    for var in ("LOGNAME", "USER", "LNAME", "USERNAME", "LEDGER_USER"):
        monkeypatch.delenv(var, raising=False)

    def getuser() -> str:
        raise OSError("No username set in the environment")  # as Python 3.13 on Windows
    monkeypatch.setattr(getpass, "getuser", getuser)


def test_without_a_login_name_the_account_records(isolated: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _no_login(monkeypatch)
    monkeypatch.setattr(cli_module, "_os_account", lambda: "zhangsan")
    r = invoke(CliRunner(), ["township", "add", "青石镇"])
    assert r.exit_code == 0, r.output
    L = Ledger(open_ledger(isolated), today=TODAY)
    row = L.db.conn.execute("select actor, os_user from journal").fetchone()
    assert row == ("zhangsan", "zhangsan")


def test_without_any_name_the_command_still_records(isolated: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _no_login(monkeypatch)
    monkeypatch.setattr(cli_module, "_os_account", lambda: "")
    r = invoke(CliRunner(), ["township", "add", "青石镇"])
    assert r.exit_code == 0, r.output
    L = Ledger(open_ledger(isolated), today=TODAY)
    assert L.db.conn.execute("select actor, os_user from journal").fetchone() == (None, None)


def test_the_account_on_windows_and_when_the_system_has_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "name", "nt")  # (nothing but _os_account runs while it is set)
    monkeypatch.setattr(os, "getlogin", lambda: "张三")
    assert cli_module._os_account() == "张三"

    def no_account() -> str:
        raise OSError(1, "no account")
    monkeypatch.setattr(os, "getlogin", no_account)
    assert cli_module._os_account() == ""


# --- colours in a Windows console --------------------------------------------------------

class _Stdout(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty,calls", [(True, 1), (False, 0)])
def test_a_windows_console_is_asked_for_colours_and_a_redirect_is_not(
        monkeypatch: pytest.MonkeyPatch, tty: bool, calls: int) -> None:
    import types

    called: list[int] = []
    fake = types.ModuleType("colorama")
    fake.just_fix_windows_console = lambda: called.append(1)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "colorama", fake)
    monkeypatch.setattr(terminal, "WINDOWS", True)
    monkeypatch.setattr(sys, "stdout", _Stdout(tty))
    monkeypatch.setattr(sys, "stderr", _Stdout(tty))
    terminal.prepare_streams()
    assert len(called) == calls


def test_without_colorama_a_windows_console_gets_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "colorama", None)  # import fails
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(terminal, "WINDOWS", True)
    monkeypatch.setattr(sys, "stdout", _Stdout(True))
    monkeypatch.setattr(sys, "stderr", _Stdout(True))
    terminal.prepare_streams()
    assert os.environ["NO_COLOR"] == "1"


def test_off_windows_nothing_is_asked_of_the_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "colorama", None)  # would set NO_COLOR if consulted
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(terminal, "WINDOWS", False)
    monkeypatch.setattr(sys, "stdout", _Stdout(True))
    monkeypatch.setattr(sys, "stderr", _Stdout(True))
    terminal.prepare_streams()
    assert "NO_COLOR" not in os.environ


# --- no pager where there is none (a Windows PC has no less) --------------------------------

def test_without_less_long_output_is_written_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import subprocess

    monkeypatch.delenv("LEDGER_PAGER", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: os.terminal_size((80, 5)))
    ran: list[Any] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    out = _Stdout(True)
    monkeypatch.setattr(sys, "stdout", out)
    assert terminal.pager_command() is None
    text = "".join(f"第{i}行\n" for i in range(1, 41))  # 40 lines on a 5-line screen
    terminal.page(text)
    assert out.getvalue() == text and ran == []


# --- ledger.exe double-clicked in Explorer ----------------------------------------------------

@pytest.mark.parametrize("own,waits", [(True, True), (False, False)])
def test_double_clicked_the_first_screen_stays_until_enter(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, own: bool, waits: bool) -> None:
    # Windows closes a console it made for the program alone as soon as the program ends:
    # the clerk saw a window flash and vanish.
    monkeypatch.setattr(terminal, "own_console", lambda: own)
    r = cli.runner.invoke(cli_module.app, [], input="\n")
    assert r.exit_code == 0
    assert "ledger demo" in r.output
    assert ("按回车键关闭这个窗口。" in r.output) is waits
    assert ("使用说明.txt" in r.output) is waits


def test_a_console_of_its_own_is_only_asked_of_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "WINDOWS", False)
    assert terminal.own_console() is False
    monkeypatch.setattr(terminal, "WINDOWS", True)  # no kernel32 here: never a guess of True
    assert terminal.own_console() is False
