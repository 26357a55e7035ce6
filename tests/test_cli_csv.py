"""export and import through the command line, read back as bytes."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

import pytest

from ledger.services import Ledger
from ledger.services import open_ledger

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
    r = town_cli("export", "--status", "open", "-o", "-")
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
    assert all(imported.demands.disagreements(r["number"]) == [] for r in imported.demands.list())


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
    town_cli("--db", str(fresh), "township", "add", "白马镇")
    before = hashlib.sha256(fresh.read_bytes()).hexdigest()
    r = town_cli("--db", str(fresh), "import", str(good), "--create-missing", "--dry-run")
    assert r.exit_code == 0 and "试导入" in r.output and "新增 6 条" in r.output
    assert hashlib.sha256(fresh.read_bytes()).hexdigest() == before
    # on a path where there is no ledger a dry run creates none
    missing = tmp_path / "none.db"
    r = town_cli("--db", str(missing), "import", str(good), "--create-missing", "--dry-run")
    assert r.exit_code == 0 and not missing.exists()


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


def _number(output: str) -> str:
    import re

    return re.search(r"\d{4}-\d{6}", output).group(0)


def test_summary_and_report_of_an_imported_ledger_equal_the_ledger_entered_by_hand(
        cli: Cli, tmp_path: Path) -> None:
    """What a township entered through the CLI, exported and imported by the county, gives
    the county the same Tuesday summaries and report card (for histories the CSV carries:
    one escalation, one assignment, no reopening)."""
    import json

    def run(*args: str) -> str:
        r = cli(*args)
        assert r.exit_code == 0, r.output
        return r.output

    a = _number(run("visit", "log", "--village", "东坪村", "--resident", "张秀兰", "--cadre", "王建国",
                    "--issue", "门口路灯不亮", "--date", "2026-11-03"))
    run("issue", "settle", a, "--result", "当场更换灯泡", "--date", "2026-11-03")
    run("issue", "follow-up", a, "--satisfaction", "满意", "--date", "2026-11-04")
    run("issue", "close", a, "--date", "2026-11-04")
    b = _number(run("issue", "add", "宅基地界址纠纷", "--village", "西岭村", "--category", "宅基地地界",
                    "--complex", "--date", "2026-11-04"))
    run("issue", "escalate", b, "--reason", "村里调解不成", "--date", "2026-11-05")
    run("issue", "assign", b, "--unit", "镇司法所", "--handler", "周工", "--date", "2026-11-06")
    run("issue", "resolve", b, "--result", "调解达成协议", "--date", "2026-11-10")
    run("issue", "follow-up", b, "--satisfaction", "基本满意", "--date", "2026-11-11")
    run("issue", "close", b, "--date", "2026-11-12")
    c = _number(run("issue", "add", "村道积水", "--village", "河口社区", "--date", "2026-11-10"))
    run("issue", "assign", c, "--unit", "东坪村委会", "--date", "2026-11-11")
    run("issue", "resolve", c, "--result", "疏通排水沟", "--date", "2026-11-16")
    d = _number(run("issue", "add", "低保申请", "--village", "东坪村", "--resident", "王芳/东坪村",
                    "--date", "2026-11-12"))
    run("issue", "escalate", d, "--reason", "需镇民政办审核", "--date", "2026-11-13")
    run("issue", "add", "噪声扰民", "--village", "东坪村", "--resident", "张秀兰", "--date", "2026-11-16")
    e = _number(run("issue", "add", "补材料", "--village", "西岭村", "--complex", "--date", "2026-11-17"))
    run("issue", "suspend", e, "--reason", "等群众补材料", "--date", "2026-11-17")

    exported = tmp_path / "township.csv"
    run("export", "-o", str(exported), "--unmask")
    county = tmp_path / "county.db"
    r = cli("--db", str(county), "import", str(exported), "--create-missing")
    assert r.exit_code == 0 and "新增 6 条" in r.output

    def both(*args: str) -> tuple[dict, dict]:
        mine = json.loads(cli(*args, "--format", "json").stdout)
        theirs = json.loads(cli("--db", str(county), *args, "--format", "json").stdout)
        for s in (mine, theirs):
            for person in s.get("repeat_residents", []):
                del person["resident_id"]  # the county numbers its residents itself
        return mine, theirs

    for week in ("2026-11-03", "2026-11-10", "2026-11-17"):
        mine, theirs = both("summary", "--week", week)
        assert theirs == mine, week
    mine, theirs = both("summary", "--week", "2026-11-10")
    assert (mine["received"], mine["resolved"], mine["closed"], mine["to_township"],
            mine["assigned"]) == (3, 2, 1, 1, 1)
    for by in ("unit", "village"):
        mine, theirs = both("report", "--by", by)
        assert theirs == mine, by
    mine, _ = both("report", "--by", "unit")
    assert {r["name"]: r["response_rate"] for r in mine["rows"]} == {"东坪村委会": 1.0, "镇司法所": 1.0}


def test_the_names_an_import_created_are_listed_whole(tmp_path: Path) -> None:
    # 25 villages of one township, each with a grid 一组: the first 20 listed, every name
    # whole (a list is never cut in the middle of a name), each grid with its village.
    villages = [f"第{i:02d}号移民安置新村社区" for i in range(1, 26)]
    lines = ["受理日期,镇/街道,村/社区,网格,诉求内容"] + [
        f"2026-11-02,青石镇,{v},一组,路灯坏了" for v in villages]
    source = tmp_path / "村.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli = Cli(tmp_path / "new.db")
    r = cli("--db", str(tmp_path / "new.db"), "import", str(source), "--create-missing")
    assert r.exit_code == 0, r.output
    shown = "、".join(f"青石镇/{v}" for v in villages[:20])
    assert f"新建村/社区 25 个,前 20 个:{shown}\n" in r.output
    grids = "、".join(f"{v}/一组" for v in villages[:20])
    assert f"新建网格 25 个,前 20 个:{grids}\n" in r.output
    assert "…" not in r.output
