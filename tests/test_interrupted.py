"""Interrupted and misleading writes (issue 24): a command that creates a file and is
interrupted (Ctrl-C, SIGINT, SIGTERM) leaves nothing behind, and its message is true; every
message names the file the clerk gave, never a temporary one."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.store import copy_database

from .conftest import Cli

INTERRUPTED = "错误:已中断,未写入任何内容"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_demo(target: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "ledger", "demo", "--db", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=target.parent)


def interrupt_while_building(target: Path, sig: int) -> tuple[int, str, str]:
    """``ledger demo --db TARGET`` stopped by ``sig`` once its temporary file is there
    (and a moment more: the township is being entered)."""
    proc = start_demo(target)
    try:
        deadline = time.monotonic() + 30
        while not list(target.parent.glob(f".{target.name}.*.tmp")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the demo never began its file"
            time.sleep(0.005)
        time.sleep(0.2)
        assert proc.poll() is None, "the demo ended before it could be interrupted"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out.decode("utf-8"), err.decode("utf-8")


@pytest.mark.skipif(os.name != "posix", reason="signals are sent as on Linux")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_demo_leaves_nothing_and_says_so(tmp_path: Path, sig: int) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    target = folder / "新.db"
    code, out, err = interrupt_while_building(target, sig)
    assert (code, out, err) == (130, "", INTERRUPTED + "\n")
    assert list(folder.iterdir()) == []  # no ledger, no temporary file, no side file
    # The next run is not refused: it builds the demo.
    done = subprocess.run([sys.executable, "-m", "ledger", "demo", "--db", str(target)],
                          capture_output=True, cwd=folder)
    assert done.returncode == 0, done.stderr.decode("utf-8")
    assert sorted(p.name for p in folder.iterdir()) == ["新.db"]
    assert Cli(target)("--db", str(target), "check").exit_code == 0


@pytest.mark.skipif(os.name != "posix", reason="signals are sent as on Linux")
def test_an_interrupted_demo_with_force_keeps_the_file_it_would_replace(tmp_path: Path) -> None:
    target = tmp_path / "demo.db"
    target.write_bytes(b"the clerk's notes")
    proc = subprocess.Popen([sys.executable, "-m", "ledger", "demo", "--db", str(target),
                             "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path)
    try:
        while not list(tmp_path.glob(".demo.db.*.tmp")):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.005)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, err.decode("utf-8")) == (130, INTERRUPTED + "\n")
    assert target.read_bytes() == b"the clerk's notes"
    assert [p.name for p in tmp_path.iterdir()] == ["demo.db"]


def test_an_interruption_after_the_demo_is_built_says_it_is_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the built demo is shown: the line says the file was written."""
    from ledger import render

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "demands", stop)
    target = tmp_path / "demo.db"
    r = Cli(target)("demo", "--db", str(target))
    assert r.exit_code == 130
    assert r.output.splitlines()[-1] == f"错误:已中断;演示台账已建好:{target}"
    assert Cli(target)("--db", str(target), "check").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]


# --- restore: every message names the backup the clerk gave ----------------------------------

def _not_a_ledger(path: Path) -> None:
    path.write_text("hello\n", encoding="utf-8")


def _truncated(path: Path, ledger: Path) -> None:
    path.write_bytes(ledger.read_bytes()[:8192])


def _header_only(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\0garbage")


def _other_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("create table x (a)")
    conn.commit()
    conn.close()


def _damaged_inside(path: Path, ledger: Path) -> None:
    """A good ledger whose pages past the schema were overwritten."""
    raw = bytearray(ledger.read_bytes())
    at = len(raw) // 2 // 4096 * 4096
    raw[at:at + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(raw))


RESTORE_CASES = {
    "missing": (None, "错误:无法打开台账文件 bad.db:no such file"),
    "not a ledger": (_not_a_ledger, "错误:bad.db 不是台账文件(file is not a database)"),
    "header only": (_header_only, "错误:bad.db 不是台账文件(file is not a database)"),
    "truncated": (_truncated, "错误:bad.db 不是台账文件(database disk image is malformed)"),
    "another database": (_other_database, "错误:bad.db 不是台账文件(no ledger schema)"),
    # a page past the schema damaged: met when the check reads it
    "damaged inside": (_damaged_inside,
                       "错误:bad.db 不是台账文件(database disk image is malformed)"),
}


@pytest.mark.parametrize("case", list(RESTORE_CASES))
def test_restore_of_a_bad_backup_names_it_and_changes_nothing(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    make, expected = RESTORE_CASES[case]
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.db"
    if make is not None:
        if make in (_truncated, _damaged_inside):
            big = tmp_path / "big.db"
            cli("backup", str(big))  # a real ledger's bytes to damage
            make(bad, big)
            big.unlink()
        else:
            make(bad)
    before = sorted(p.name for p in tmp_path.iterdir())
    digest = cli.digest()
    r = cli("restore", "bad.db", "--force")
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert len(lines) == 1, r.output
    assert lines[0] == expected
    assert "candidate" not in r.output and "ledger-restore-" not in r.output
    assert cli.digest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no safety copy, nothing
    assert cli("check").exit_code == 0


def test_restore_to_a_new_ledger_interrupted_leaves_no_file(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backup = tmp_path / "backup.db"
    assert cli("backup", str(backup)).exit_code == 0
    folder = tmp_path / "new"
    folder.mkdir()
    target = folder / "ledger.db"
    from ledger.io import backup as backups

    def interrupted(source: object, dest: Path, **kwargs: object) -> None:
        copy_database(source, dest, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # once the copy is there: it must still go

    monkeypatch.setattr(backups, "copy_database", interrupted)
    r = cli("--db", str(target), "restore", str(backup))
    assert (r.exit_code, r.output) == (130, INTERRUPTED + "\n")
    assert list(folder.iterdir()) == []
    monkeypatch.setattr(backups, "copy_database", copy_database)
    r = cli("--db", str(target), "restore", str(backup))
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"]
    assert cli("--db", str(target), "check").exit_code == 0
