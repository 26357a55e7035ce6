"""export and import through the command line, read back as bytes."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

import pytest

from ledger.models import Ledger
from ledger.storage import open_ledger

from .conftest import ID_1, Cli
from .test_reports import build_town


@pytest.fixture
def town_cli(db_path: Path) -> Cli:
    build_town(Ledger(open_ledger(db_path), today=date(2026, 11, 17), user="刘洁")).db.conn.close()
    return Cli(db_path)


def journal(cli: Cli, subject: str) -> int:
    return cli.ledger().db.execute("select count(*) from journal where subject = ?",
                                   [subject]).fetchone()[0]


def test_export_to_a_file_is_excel_ready_and_masked(town_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "诉求.csv"
    r = town_cli("export", "--output", str(out))
    assert r.exit_code == 0 and "已导出 6 条" in r.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "受理日期", "镇/街道"] and len(rows) == 7
    assert "138****5678".encode() in raw and b"13812345678" not in raw
    assert all(not cell or cell[0] not in "=+-@" for row in rows for cell in row)
    assert journal(town_cli, "export") == 0


def test_export_unmask_is_recorded_in_the_journal(town_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    r = town_cli("export", "residents", "--output", str(out), "--unmask")
    assert r.exit_code == 0 and "已记入台账日志" in r.output
    raw = out.read_bytes()
    assert ("\t" + ID_1).encode() in raw and b"\t13812345678" in raw
    assert journal(town_cli, "export") == 1


def test_export_gb18030_and_to_standard_output(town_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    assert town_cli("export", "visits", "-o", str(out), "--encoding", "gb18030").exit_code == 0
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and "走访日期".encode("gb18030") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    r = town_cli("export", "--status", "open")
    assert r.exit_code == 0 and r.stdout_bytes.startswith(b"\xef\xbb\xbf")
    assert r.stdout_bytes.decode("utf-8-sig").count("\n") == 3  # header + 2 open demands


def test_export_then_import_round_trips(town_cli: Cli, tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    town_cli("export", "-o", str(first), "--unmask")
    fresh = tmp_path / "county.db"
    r = town_cli("--db", str(fresh), "import", str(first), "--create-missing")
    assert r.exit_code == 0, r.output
    assert "新增 6 条" in r.output and "新建单位" in r.output
    r = town_cli("--db", str(fresh), "import", str(first))
    assert r.exit_code == 0 and "新增 0 条,已有跳过 6 条" in r.output
    town_cli("--db", str(fresh), "export", "-o", str(second), "--unmask")
    assert second.read_bytes() == first.read_bytes()
    imported = Ledger(open_ledger(fresh), today=date(2026, 11, 17))
    assert all(imported.disagreements(r["number"]) == [] for r in imported.list_demands())


def test_a_bad_file_imports_nothing_and_lists_every_problem(town_cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    town_cli("export", "-o", str(good))
    text = good.read_bytes().decode("utf-8-sig").splitlines()
    text[1] = text[1].replace("2026-09-30", "2026-02-30")
    text[2] = text[2].replace("东坪村", "东平村")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("\n".join(text) + "\n").encode("utf-8-sig"))
    fresh = tmp_path / "other.db"
    town_cli("--db", str(fresh), "township", "add", "青石镇")
    before = hashlib.sha256(fresh.read_bytes()).hexdigest()
    report = tmp_path / "problems.csv"
    r = town_cli("--db", str(fresh), "import", str(bad), "--errors", str(report))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "未导入任何内容" in r.output and "2026-02-30" in r.output
    assert hashlib.sha256(fresh.read_bytes()).hexdigest() == before
    rows = list(csv.reader(io.StringIO(report.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["行号", "列", "值", "原因"]
    assert ["3", "村/社区", "东平村"] in [row[:3] for row in rows]


def test_dry_run_writes_nothing(town_cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    town_cli("export", "-o", str(good))
    fresh = tmp_path / "dry.db"
    town_cli("--db", str(fresh), "township", "list")
    before = hashlib.sha256(fresh.read_bytes()).hexdigest()
    r = town_cli("--db", str(fresh), "import", str(good), "--create-missing", "--dry-run")
    assert r.exit_code == 0 and "试导入" in r.output and "新增 6 条" in r.output
    assert hashlib.sha256(fresh.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("content,needle", [
    (b"PK\x03\x04not really a workbook", "Excel"),
    (b"\xff\xfe\x00\x00", "UTF-16"),
    ("编号,受理日期\n".encode("utf-8") + b"\x81\x30\xff\xff,x\n", "编码"),
    ("编号,受理,奇怪的列\n".encode("utf-8"), "奇怪的列"),
    (b"", "空"),
])
def test_files_that_are_not_ledger_csv(town_cli: Cli, tmp_path: Path, content: bytes, needle: str) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    before = town_cli.digest()
    r = town_cli("import", str(f))
    assert r.exit_code == 2 and needle in r.output and "Traceback" not in r.output
    assert town_cli.digest() == before


def test_import_of_a_missing_file(town_cli: Cli, tmp_path: Path) -> None:
    r = town_cli("import", str(tmp_path / "nope.csv"))
    assert r.exit_code == 2 and "nope.csv" in r.output
