"""summary, report and setting through the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from ledger.services import Ledger
from ledger.services import open_ledger

from .conftest import Cli
from .test_reports import build_town

SUMMARY_KEYS = {"week_start", "week_end", "received", "settled_on_spot", "escalated", "assigned",
                "resolved", "closed", "open", "overdue", "by_village", "by_category", "by_channel"}
REPORT_ROW_KEYS = ["name", "received", "resolved", "on_time", "overdue", "response_rate",
                   "resolution_rate", "on_time_rate", "satisfaction_rate", "score", "rank",
                   "return_rate", "reopen_rate", "urges", "repeats", "dissatisfied",
                   "dissatisfaction_rate"]


@pytest.fixture
def town_cli(db_path: Path) -> Cli:
    build_town(Ledger(open_ledger(db_path), today=date(2026, 11, 17), user="刘洁")).db.conn.close()
    return Cli(db_path)


def test_summary_on_screen_in_the_meeting_order(town_cli: Cli) -> None:
    r = town_cli("summary", "--week", "2026-11-12")
    assert r.exit_code == 0, r.output
    order = ["民情走访周汇总", "本周受理:按村/社区", "本周受理:按类别", "本周受理:按渠道", "本周办理情况",
             "往周结转、仍在办理的诉求", "7日内到期的诉求", "超期诉求", "多次反映的群众"]
    positions = [r.output.index(h) for h in order]
    assert positions == sorted(positions)
    assert "2026-11-10 至 2026-11-16" in r.output
    assert "张*" in r.output and "张秀兰" not in r.output.split("多次反映的群众")[1]
    assert "─" not in r.output  # plain columns in a file or a pipe


def test_summary_unmask_shows_names(town_cli: Cli) -> None:
    r = town_cli("summary", "--week", "2026-11-12", "--unmask")
    assert "张秀兰" in r.output.split("多次反映的群众")[1]


def test_summary_json_has_the_documented_keys_and_numbers(town_cli: Cli) -> None:
    r = town_cli("summary", "--week", "2026-11-12", "--format", "json")
    assert r.exit_code == 0
    s = json.loads(r.output)
    assert SUMMARY_KEYS <= set(s)
    assert (s["week_start"], s["week_end"], s["received"], s["resolved"], s["open"]) == \
        ("2026-11-10", "2026-11-16", 3, 3, 2)
    assert {"name", "received", "settled_on_spot", "escalated", "assigned", "resolved", "closed",
            "open", "overdue"} <= set(s["by_village"][0])
    assert [d["number"] for d in s["due_demands"]] == ["2026-000003", "2026-000006"]
    assert s["due_demands"][0]["due_on"] == "2026-11-16"
    assert s["repeat_residents"][0]["resident"] == "张*"


def test_summary_csv(town_cli: Cli) -> None:
    r = town_cli("summary", "--week", "2026-11-12", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert rows[0]["dimension"] == "total" and rows[0]["received"] == "3"
    assert {(x["name"], x["received"]) for x in rows if x["dimension"] == "village"} == \
        {("东坪村", "1"), ("西岭村", "1"), ("河口社区", "1")}


def test_summary_of_a_future_week_is_refused(town_cli: Cli) -> None:
    before = town_cli.digest()
    r = town_cli("summary", "--week", "2026-12-01")
    assert r.exit_code == 2 and "还没到" in r.output
    assert town_cli.digest() == before


def test_report_card_table_and_talk_list(town_cli: Cli) -> None:
    r = town_cli("report", "--by", "unit")
    assert r.exit_code == 0
    assert "督查成绩单" in r.output and "约谈名单" in r.output
    assert "96.0%" not in r.output and "90.0%" in r.output  # 镇综治中心 satisfaction
    talk = r.output.split("约谈名单")[1]
    assert "县住建局" in talk and "2026-000003" in talk


def test_report_json_rows_have_stable_keys_and_fractions(town_cli: Cli) -> None:
    r = town_cli("report", "--by", "village", "--format", "json")
    data = json.loads(r.output)
    assert [list(row) for row in data["rows"]][0] == [
        "rank", "name", "received", "resolved", "on_time", "overdue", "response_rate",
        "resolution_rate", "on_time_rate", "satisfaction_rate", "score", "return_rate",
        "reopen_rate", "urges", "repeats", "dissatisfied", "dissatisfaction_rate"]
    assert set(REPORT_ROW_KEYS) == set(data["rows"][0])
    # the county's 不满意数 and 不满意率 (as in the report workbook), rates as fractions
    assert all(isinstance(row["dissatisfied"], int) for row in data["rows"])
    rated = [row for row in data["rows"] if row["dissatisfaction_rate"] is not None]
    assert rated and all(0 <= row["dissatisfaction_rate"] <= 1 for row in rated)
    first = data["rows"][0]
    assert (first["name"], first["on_time_rate"], first["rank"]) == ("东坪村", 0.6667, 1)
    for row in data["rows"]:
        for key in ("response_rate", "resolution_rate", "on_time_rate", "satisfaction_rate"):
            assert row[key] is None or 0 <= row[key] <= 1


def test_report_range_and_csv(town_cli: Cli) -> None:
    r = town_cli("report", "--by", "township", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [(x["name"], x["received"], x["score"]) for x in rows] == [("青石镇", "5", rows[0]["score"])]


@pytest.mark.parametrize("args,code,needle", [
    (["report", "--by", "county"], 2, "county"),
    (["report", "--from", "2026-11-30", "--to", "2026-11-01"], 2, "晚于"),
    (["report", "--format", "xls"], 2, "xls"),
    (["setting", "set", "weight.magic", "1"], 2, "weight.magic"),
    (["setting", "set", "weight.response", "abc"], 2, "abc"),
    (["setting", "set", "satisfaction.basic", "2"], 2, "0 到 1"),
])
def test_bad_report_and_setting_input(town_cli: Cli, args, code, needle) -> None:
    before = town_cli.digest()
    r = town_cli(*args)
    assert r.exit_code == code, r.output
    assert needle in r.output and "Traceback" not in r.output
    assert town_cli.digest() == before


def test_setting_set_changes_the_score(town_cli: Cli) -> None:
    assert "weight.resolution" in town_cli("setting", "list").output
    r = town_cli("setting", "set", "weight.on_time", "0.5")
    assert r.exit_code == 0 and "weight.on_time = 0.5" in r.output
    data = json.loads(town_cli("report", "--format", "json").output)
    assert {row["name"]: row["score"] for row in data["rows"]}["东坪村委会"] == 66.7
