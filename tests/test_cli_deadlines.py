"""Deadlines through the command line: due, overdue, calendar, policy, JSON rows."""

from __future__ import annotations

import json

from ledger.cli import app

from .conftest import Cli


def add(cli: Cli, text: str, *args: str, today: str = "2026-11-17") -> str:
    r = cli("issue", "add", text, "--village", "东坪村", *args, today=today)
    assert r.exit_code == 0, r.output
    return r.output.split()[-1]


def test_issue_list_shows_the_deadline_and_the_light(cli: Cli) -> None:
    add(cli, "路灯坏了", "--date", "2026-11-17")
    r = cli("issue", "list", today="2026-11-19")
    assert r.exit_code == 0
    assert "2026-11-18" in r.output and "超期" in r.output
    r = cli("issue", "list", "--format", "json", today="2026-11-19")
    row = json.loads(r.output)[0]
    assert (row["number"], row["due_on"], row["due_provisional"], row["light"]) == \
        ("2026-000001", "2026-11-18", False, "overdue")


def test_provisional_deadlines_are_starred_with_a_warning(cli: Cli) -> None:
    add(cli, "屋顶漏水", "--complex")
    r = cli("issue", "list", today="2026-12-28")
    assert "2026-11-26" in r.output  # received 11/17, not provisional
    add_late = cli("issue", "add", "违建", "--village", "东坪村", "--complex", today="2026-12-28")
    assert add_late.exit_code == 0
    r = cli("issue", "list", today="2026-12-28")
    assert "2027-01-06*" in r.output
    assert "ledger calendar add" in r.output
    assert json.loads(cli("issue", "list", "--format", "json", today="2026-12-28").output)[1][
        "due_provisional"] is True


def test_calendar_add_recomputes_and_refuses_bad_files(cli: Cli, tmp_path) -> None:
    add(cli, "违建", "--complex", today="2026-12-28")
    bad = tmp_path / "2027-bad.toml"
    bad.write_text('year = 2027\nnotice = "通知"\nrest = ["2027-01-01"]\nwork = ["2027-01-04"]\n',
                   encoding="utf-8")
    before = cli.digest()
    r = cli("calendar", "add", str(bad), today="2026-12-28")
    assert r.exit_code == 2
    assert "调休上班日 2027-01-04 不是周末" in r.output
    assert cli.digest() == before
    good = tmp_path / "2027.toml"
    good.write_text('year = 2027\nnotice = "国务院办公厅关于2027年部分节假日安排的通知"\n'
                    'rest = ["2027-01-01..2027-01-03"]\nwork = []\n', encoding="utf-8-sig")
    r = cli("calendar", "add", str(good), today="2026-12-28")  # only 元旦: refused
    assert r.exit_code == 1 and "春节、清明、劳动节、端午、中秋、国庆" in r.output
    assert cli.digest() == before
    r = cli("calendar", "add", str(good), "--force", today="2026-12-28")
    assert r.exit_code == 0, r.output
    assert "重算 1 件" in r.output and "仍暂定 0 件" in r.output
    assert cli.ledger().demands.show("2026-000001")["due_on"] == "2027-01-07"
    assert "本台账添加" in cli("calendar", "list").output


def test_calendar_add_of_a_missing_file(cli: Cli, tmp_path) -> None:
    r = cli("calendar", "add", str(tmp_path / "nope.toml"))
    assert r.exit_code == 2
    assert "nope.toml" in r.output and "Traceback" not in r.output


def test_calendar_month_grid(cli: Cli) -> None:
    r = cli("calendar", "show", "2026", "--month", "10")
    assert r.exit_code == 0
    assert "1假" in r.output and "10补班" in r.output
    assert "国务院办公厅关于2026年部分节假日安排的通知" in r.output
    r = cli("calendar", "show", "2027", "--month", "1")
    assert "没有 2027 年的节假日安排" in r.output


def test_due_and_overdue(cli: Cli) -> None:
    late = add(cli, "路灯坏了", "--date", "2026-11-16")
    cli("issue", "escalate", late, "--reason", "村里修不了", "--date", "2026-11-16")
    cli("issue", "assign", late, "--unit", "镇综治中心", "--date", "2026-11-16")
    today = add(cli, "养犬扰民", today="2026-11-18")
    r = cli("due", today="2026-11-19")
    assert r.exit_code == 0 and today in r.output and late not in r.output
    r = cli("overdue", today="2026-11-20")
    assert r.exit_code == 0
    assert late in r.output and "镇综治中心" in r.output and "超期工作日" in r.output
    data = json.loads(cli("overdue", "--format", "json", today="2026-11-20").output)
    assert [(d["number"], d["days_late"]) for d in data["demands"]] == [(late, 3), (today, 1)]
    assert data["by_unit"][0] == {"name": "镇综治中心", "overdue": 1, "max_days_late": 3}


def test_policy_set_list_and_bad_input(cli: Cli) -> None:
    n = add(cli, "油烟扰民", "--type", "投诉")
    r = cli("policy", "set", "--type", "投诉", "--amount", "3")
    assert r.exit_code == 0 and "重算 1 件" in r.output
    assert cli.ledger().demands.show(n)["due_on"] == "2026-11-20"
    assert "3 个工作日" in cli("policy", "list").output
    before = cli.digest()
    for args, code in ((["--type", "投诉", "--unit", "周"], 2), (["--amount", "3"], 2),
                       (["--category", "不存在", "--amount", "3"], 2),
                       (["--type", "投诉", "--amount", "0"], 2)):
        r = cli("policy", "set", *args)
        assert r.exit_code == code, (args, r.output)
        assert "Traceback" not in r.output
    assert cli.digest() == before


def test_bad_format_is_refused(cli: Cli) -> None:
    r = cli("issue", "list", "--format", "xml")
    assert r.exit_code == 2 and "xml" in r.output


def test_db_may_come_before_or_after_the_command(cli: Cli, tmp_path) -> None:
    other = tmp_path / "other.db"
    before = cli.digest()
    r = cli.runner.invoke(app,
                          ["--db", str(other), "--today", "2026-11-17", "township", "add", "白关镇"])
    assert r.exit_code == 0, r.output
    r = cli("township", "list", "--db", str(other))
    assert "白关镇" in r.output
    third = tmp_path / "third.db"
    r = cli.runner.invoke(app,
                          ["--db", str(other), "township", "add", "柳镇", "--db", str(third)])
    assert r.exit_code == 0  # the option after the command wins
    assert "柳镇" not in cli("township", "list", "--db", str(other)).output
    assert cli.digest() == before  # $LEDGER_DB untouched throughout


def test_the_console_entry_builds_only_the_command_being_run() -> None:
    from ledger.cli import _app_for

    slim = _app_for(["--today", "2026-11-17", "issue", "show", "1"])
    assert [g.name for g in slim.registered_groups] == ["issue"]
    assert [c.callback.__name__ for c in slim.registered_groups[0].typer_instance.registered_commands] \
        == ["issue_show"]
    assert _app_for(["summary", "--week", "2026-11-10"]).registered_groups == []
    for argv in (["--help"], ["issue", "--help"], ["nonsense"], []):
        assert _app_for(argv) is app


def test_the_console_entry_runs_a_trimmed_command(tmp_path) -> None:
    import subprocess
    import sys

    db = tmp_path / "l.db"
    env = {"LEDGER_DB": str(db), "LEDGER_TODAY": "2026-11-17", "PATH": ""}
    run = lambda *a: subprocess.run([sys.executable, "-c", "from ledger.cli import main; main()", *a],
                                    capture_output=True, text=True, env=env, timeout=60)
    assert run("township", "add", "青石镇").returncode == 0
    assert run("village", "add", "东坪村").returncode == 0
    r = run("issue", "add", "路灯坏了", "--village", "东坪村")
    assert r.returncode == 0 and "2026-000001" in r.stdout
    r = run("issue", "lst")
    assert r.returncode == 2 and "list" in r.stderr


def test_issue_list_on_screen_stops_at_its_limit_and_says_so(cli: Cli) -> None:
    for i in range(3):
        add(cli, f"第{i}件")
    r = cli("issue", "list", "--limit", "2")
    assert "2026-000002" in r.output and "2026-000003" not in r.output
    assert "只显示了前 2 条" in r.output
    r = cli("issue", "list", "--limit", "0")
    assert "2026-000003" in r.output and "只显示了前" not in r.output
    assert len(json.loads(cli("issue", "list", "--format", "json").output)) == 3
