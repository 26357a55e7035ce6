"""The weekly script in examples/ runs end to end and writes files Excel and Notepad open."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ledger.services import Ledger
from ledger.services import open_ledger

from .test_reports import build_town
from .conftest import setup_township

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def installed_ledger() -> str | None:
    here = Path(sys.executable).parent
    for name in ("ledger", "ledger.exe"):
        if (here / name).exists():
            return str(here / name)
    return shutil.which("ledger")


@pytest.mark.skipif(shutil.which("sh") is None or os.name == "nt", reason="needs a POSIX shell")
def test_weekly_script_writes_a_dated_folder(tmp_path: Path) -> None:
    program = installed_ledger()
    if program is None:
        pytest.skip("the ledger console script is not installed")
    db = tmp_path / "ledger.db"
    build_town(setup_township(Ledger(open_ledger(db), today=date(2026, 11, 17), user="刘洁")))
    env = {**os.environ, "LEDGER": program, "LEDGER_DB": str(db)}
    env.pop("LEDGER_TODAY", None)
    result = subprocess.run(["sh", str(EXAMPLES / "weekly.sh"), str(tmp_path / "out")],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    folder = Path(result.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "out" and folder.name == date.today().isoformat()
    names = {p.name for p in folder.iterdir()}
    assert {"周汇总.txt", "summary.json", "周汇总.csv", "督查成绩单-unit.txt", "诉求台账.csv",
            "督查成绩单-unit.csv", "督查成绩单-township.txt", "督查成绩单-village.csv"} <= names
    text = (folder / "周汇总.txt").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and "民情走访周汇总".encode() in text
    assert "─".encode() not in text
    assert "督查成绩单".encode() in (folder / "督查成绩单-unit.txt").read_bytes()
    assert (folder / "督查成绩单-unit.csv").read_bytes().startswith(b"\xef\xbb\xbfrank,name")
    assert not (folder / "summary.json").read_bytes().startswith(b"\xef\xbb\xbf")
    # The meeting's workbooks, and every file through --output (the CSV keeps its BOM).
    import openpyxl

    assert openpyxl.load_workbook(folder / "周汇总.xlsx").sheetnames[0] == "图表"
    assert openpyxl.load_workbook(folder / "督查成绩单.xlsx").sheetnames[0] == "成绩单"
    assert (folder / "overdue.csv").read_bytes().startswith(b"\xef\xbb\xbfnumber,")


def test_the_weekly_scripts_write_every_file_through_output() -> None:
    for name in ("weekly.sh", "weekly.ps1"):
        script = (EXAMPLES / name).read_text(encoding="utf-8-sig")
        calls = [line for line in script.splitlines() if "$LEDGER\"" in line or "Run @(" in line]
        assert calls and all("--output" in line for line in calls), name
        assert not any(">" in line.split("#")[0] for line in calls), name
        assert "周汇总.xlsx" in script and "督查成绩单.xlsx" in script, name


def test_windows_scripts_are_present_and_call_ledger_with_output_files() -> None:
    raw = (EXAMPLES / "weekly.ps1").read_bytes()
    # Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page (GBK).
    assert raw.startswith(b"\xef\xbb\xbf")
    ps1 = raw.decode("utf-8-sig")
    assert "--output" in ps1 and "AddDays(-1)" in ps1
    cmd = (EXAMPLES / "weekly.cmd").read_bytes()
    assert b"weekly.ps1" in cmd and b"\r\n" in cmd
    assert cmd.isascii()  # cmd.exe reads batch files in the OEM code page


# --- from the unpacked build: the scripts find the program beside their folder ---------------

def unpacked_linux(tmp_path: Path) -> Path:
    """ledger/ as the Linux build unpacks it, with a stand-in program that records its calls."""
    folder = tmp_path / "民情 台账" / "ledger"
    (folder / "examples").mkdir(parents=True)
    shutil.copy(EXAMPLES / "weekly.sh", folder / "examples" / "weekly.sh")
    program = folder / "ledger"
    program.write_text('#!/bin/sh\necho "$0 $*" >> "$LEDGER_CALLS"\n', encoding="utf-8")
    program.chmod(0o755)
    return folder


@pytest.mark.skipif(shutil.which("sh") is None or os.name == "nt", reason="needs a POSIX shell")
def test_weekly_sh_runs_the_ledger_beside_its_folder_from_anywhere(tmp_path: Path) -> None:
    folder = unpacked_linux(tmp_path)
    elsewhere = tmp_path / "cron"
    elsewhere.mkdir()
    calls = tmp_path / "calls"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LEDGER_CALLS": str(calls)}
    result = subprocess.run(["sh", str(folder / "examples" / "weekly.sh"), "周报"], cwd=elsewhere,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    made = Path(result.stdout.strip().splitlines()[-1])
    # a relative folder is taken from where the script started, and given whole to ledger
    assert made == elsewhere / "周报" / date.today().isoformat() and made.is_dir()
    lines = calls.read_text(encoding="utf-8").splitlines()
    # five summaries and workbooks, six report cards, overdue and the export
    assert len(lines) == 13 and all(line.startswith(f"{folder}/ledger ") for line in lines)
    assert all(f"--output {made}/" in line for line in lines)
    # LEDGER still picks the program when set
    other = tmp_path / "other-ledger"
    other.write_text('#!/bin/sh\necho "other $*" >> "$LEDGER_CALLS"\n', encoding="utf-8")
    other.chmod(0o755)
    calls.unlink()
    result = subprocess.run(["sh", str(folder / "examples" / "weekly.sh"), str(tmp_path / "out")],
                            env={**env, "LEDGER": str(other)}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert all(line.startswith("other ") for line in calls.read_text(encoding="utf-8").splitlines())


@pytest.mark.skipif(shutil.which("sh") is None or os.name == "nt", reason="needs a POSIX shell")
def test_weekly_sh_without_a_ledger_says_so_in_one_line(tmp_path: Path) -> None:
    if shutil.which("ledger", path="/usr/bin:/bin"):
        pytest.skip("a program named ledger is on the system PATH")
    folder = unpacked_linux(tmp_path)
    (folder / "ledger").unlink()
    result = subprocess.run(["sh", str(folder / "examples" / "weekly.sh"), str(tmp_path / "out")],
                            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "找不到 ledger" in result.stderr
    assert not (tmp_path / "out").exists()


def test_weekly_ps1_finds_ledger_exe_beside_its_folder_and_writes_to_a_whole_path() -> None:
    raw = (EXAMPLES / "weekly.ps1").read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n")  # CRLF, as Notepad and the rest of Windows
    ps1 = raw.decode("utf-8-sig")
    # the script's folder also where $PSScriptRoot is missing (PowerShell 2's scripts)
    assert ("$here = if ($PSScriptRoot) { $PSScriptRoot } else "
            "{ Split-Path -Parent $MyInvocation.MyCommand.Path }") in ps1
    assert '$bundled = Join-Path (Split-Path -Parent $here) "ledger.exe"' in ps1
    # the order: LEDGER, then ..\ledger.exe, then ledger on PATH, else one line and exit 2
    order = [ps1.index(s) for s in ("if ($env:LEDGER)", "Test-Path -LiteralPath $bundled -PathType Leaf",
                                    'Get-Command "ledger" -CommandType Application',
                                    "[Console]::Error.WriteLine(", "exit 2")]
    assert order == sorted(order)
    # the folder made whole before anything is written, never read against System32
    whole = ps1.index("GetUnresolvedProviderPathFromPSPath($Root)")
    assert whole < ps1.index("$dir = Join-Path $Root $today") < ps1.index("New-Item")
    assert "Set-Location" not in ps1 and "cd " not in ps1
    cmd = (EXAMPLES / "weekly.cmd").read_text(encoding="ascii")
    assert '-File "%~dp0weekly.ps1"' in cmd  # weekly.ps1 by its own folder, not the working one
