"""Everyone covered (issue 16): key villages and their pairs, cadres and their households,
tags and organisations visited, the summary's key-village line; pair refusals and undo.

One township with known pairings, visits and tags; the coverage tables are asserted whole.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from ledger.services import Ledger, open_ledger

from .conftest import Cli

TODAY = date(2026, 11, 23)  # a Monday: the last day of the ledger week 2026-11-17 .. 11-23


def township(L: Ledger) -> Ledger:
    """青石镇: four villages, three of them key; six cadres; four tagged residents; three
    organisations; pairings of 四个一, 包村 and 联户; visits this week, last week, in October.

    key villages   东坪村: 高志远 县级领导, 县住建局 县级部门, 王建国 镇主要领导, 李梅 镇科级领导
                   西岭村: 孙丽 包村干部
                   石桥村: nobody
    households     孙丽: 张秀兰, 王芳, 老李;  李梅: 刘大爷;  陈卫东 and the others: none
    """
    reg = L.registers
    reg.add_township("青石镇")
    for v in ("东坪村", "西岭村", "河口社区", "石桥村"):
        reg.add_village(v)
    for unit, level in (("县政府办", "county"), ("县住建局", "county"), ("镇党政办", "township"),
                        ("镇司法所", "township"), ("东坪村委会", "village"),
                        ("镇综治中心", "township")):
        reg.add_unit(unit, level)
    for cadre, unit in (("高志远", "县政府办"), ("钱工", "县住建局"), ("王建国", "镇党政办"),
                        ("李梅", "镇司法所"), ("孙丽", "东坪村委会"), ("陈卫东", "镇综治中心")):
        reg.add_cadre(cadre, unit=unit)
    res = L.residents
    res.add("张秀兰", "东坪村", tags=["独居老人"])             # 1
    res.add("王芳", "西岭村", tags=["困难群体"])               # 2
    res.add("老李", "东坪村", tags=["困难群体"])               # 3
    res.add("刘大爷", "河口社区", tags=["独居老人", "困难群体"])  # 4
    org = L.organisations
    org.add("东坪红薯粉厂", "东坪村", "非公企业")               # 5
    org.add("河口幼儿园", "河口社区", "学校")                   # 6
    org.add("老王小卖部", "西岭村", "个体工商户")               # 7
    pair = L.pairing
    for v in ("东坪村", "西岭村", "石桥村"):
        pair.set_key(v)
    pair.add(village="东坪村", cadre="高志远", role="县级领导")
    pair.add(village="东坪村", unit="县住建局", role="县级部门")
    pair.add(village="东坪村", cadre="王建国", role="镇主要领导")
    pair.add(village="东坪村", cadre="李梅", role="镇科级领导")
    pair.add(village="西岭村", cadre="孙丽", role="包村干部")
    for r in ("张秀兰", "王芳", "老李"):
        pair.add(resident=r, cadre="孙丽")
    pair.add(resident="刘大爷", cadre="李梅")
    log = L.visits.log
    # October: the national-day week (2026-10-01..07 rest; Tuesday 10-06 a rest day).
    log(village="东坪村", on="2026-10-05", cadres=["王建国"])         # Monday, a holiday
    log(village="东坪村", on="2026-10-10", cadres=["李梅"])           # Saturday, a make-up day
    log(resident="张秀兰", on="2026-10-20", cadres=["孙丽"])
    log(resident="刘大爷", on="2026-10-28", cadres=["李梅"])
    log(org="老王小卖部", on="2026-11-03", cadres=["孙丽"])
    log(village="东坪村", on="2026-11-10", cadres=["李梅"])           # last week
    # This week.
    log(resident="张秀兰", on="2026-11-17", cadres=["高志远", "王建国"])
    log(resident="王芳", on="2026-11-17", cadres=["孙丽"])
    log(org="东坪红薯粉厂", on="2026-11-18", cadres=["钱工"])          # 县住建局's cadre
    return L


@pytest.fixture
def L() -> Ledger:
    return township(Ledger(open_ledger(":memory:"), today=TODAY, user="刘洁"))


@pytest.fixture
def town(isolated: Path) -> Cli:
    L = township(Ledger(open_ledger(isolated), today=TODAY, user="刘洁"))
    L.db.conn.close()
    return Cli(isolated)


def run(cli: Cli, *args: str, code: int = 0) -> str:
    r = cli(*args, today=TODAY.isoformat())
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    return r.output


def people(v: dict) -> list[tuple]:
    return [(p["role"], p["name"], p["kind"], p["visited"], p["visits"], p["last_visit_on"])
            for p in v["people"]]


# --- the coverage tables -------------------------------------------------------------------

def test_key_villages_this_week(L: Ledger) -> None:
    c = L.coverage.report()
    assert (c["from"], c["to"], c["as_of"], c["visit_day_rest"]) == (
        "2026-11-17", "2026-11-23", "2026-11-23", False)
    rows = c["key_villages"]
    # Villages with a missing visit (or nobody paired) first, then the covered ones.
    assert [(v["village"], v["paired"], v["visited"], v["missing"], v["covered"])
            for v in rows] == [
        ("东坪村", 4, 3, ["李梅"], False),
        ("石桥村", 0, 0, [], False),
        ("西岭村", 1, 1, [], True),
    ]
    # 县住建局 paired as a unit: its cadre 钱工 went to 东坪村 on 11-18. 李梅 went last week.
    assert people(rows[0]) == [
        ("县级领导", "高志远", "cadre", True, 1, "2026-11-17"),
        ("县级部门", "县住建局", "unit", True, 1, "2026-11-18"),
        ("镇主要领导", "王建国", "cadre", True, 1, "2026-11-17"),
        ("镇科级领导", "李梅", "cadre", False, 0, None),
    ]


def test_households_within_the_setting_days(L: Ledger) -> None:
    c = L.coverage.report()
    assert (c["household_days"], c["households_from"]) == (30, "2026-10-25")
    assert [(h["cadre"], h["paired"], h["visited"],
             [(r["name"], r["last_visit_on"]) for r in h["not_visited"]])
            for h in c["households"]] == [
        # 张秀兰: visited this week, but not by 孙丽; 孙丽's own visit (10-20) is 34 days old.
        ("孙丽", 3, 1, [("老李", None), ("张秀兰", "2026-10-20")]),
        ("李梅", 1, 1, []),
        # Cadres with no paired households are listed too, last.
        ("高志远", 0, 0, []), ("钱工", 0, 0, []), ("王建国", 0, 0, []), ("陈卫东", 0, 0, []),
    ]
    L.reports.set_setting("coverage.household_days", "40")  # 10-15 .. 11-23: 10-20 counts
    sun = L.coverage.report()["households"][0]
    assert (sun["cadre"], sun["paired"], sun["visited"]) == ("孙丽", 3, 2)


def test_tags_organisations_and_the_longest_unvisited(L: Ledger) -> None:
    c = L.coverage.report()
    assert c["tags"] == [
        {"tag": "困难群体", "total": 3, "visited": 1, "rate": 0.3333},
        {"tag": "独居老人", "total": 2, "visited": 1, "rate": 0.5},
    ]
    # Organisations by kind, in the order of the kinds (built-in first).
    assert c["organisations"] == [
        {"kind": "非公企业", "total": 1, "visited": 1, "rate": 1.0},
        {"kind": "个体工商户", "total": 1, "visited": 0, "rate": 0.0},
        {"kind": "学校", "total": 1, "visited": 0, "rate": 0.0},
    ]
    # Never visited first (by number), then the oldest last visit.
    assert [(r["id"], r["name"], r["kind"], r["tags"], r["last_visit_on"])
            for r in c["not_visited"]] == [
        (3, "老李", None, "困难群体", None),
        (6, "河口幼儿园", "学校", None, None),
        (4, "刘大爷", None, "困难群体、独居老人", "2026-10-28"),
        (7, "老王小卖部", "个体工商户", None, "2026-11-03"),
    ]


def test_a_holiday_tuesday_does_not_move_the_week(L: Ledger) -> None:
    # 2026-10-06, a Tuesday, is a rest day of 国庆: the week is still 10-06 .. 10-12, and the
    # visit on Saturday 10-10 (a make-up working day) counts in it; Monday 10-05 (a rest day
    # too) belongs to the week before.
    c = L.coverage.report(week="2026-10-08")
    assert (c["from"], c["to"], c["as_of"], c["visit_day_rest"]) == (
        "2026-10-06", "2026-10-12", "2026-10-12", True)
    dong = c["key_villages"][0]
    assert (dong["village"], dong["visited"], dong["missing"]) == (
        "东坪村", 1, ["高志远", "县住建局", "王建国"])
    before = L.coverage.report(week="2026-10-05")
    assert (before["from"], before["to"], before["visit_day_rest"]) == (
        "2026-09-29", "2026-10-05", False)
    assert before["key_villages"][0]["missing"] == ["高志远", "县住建局", "李梅"]
    # Households are counted up to the week's last day: nothing after 10-12 counts.
    assert [(h["cadre"], h["visited"]) for h in c["households"][:2]] == [("孙丽", 0), ("李梅", 0)]


def test_a_range_of_days(L: Ledger) -> None:
    c = L.coverage.report(since="2026-11-10", until="2026-11-23")
    assert (c["from"], c["to"], c["visit_day_rest"]) == ("2026-11-10", "2026-11-23", False)
    assert [(v["village"], v["missing"]) for v in c["key_villages"]] == [
        ("石桥村", []), ("东坪村", []), ("西岭村", [])]
    assert c["key_villages"][0]["covered"] is False  # nobody paired: never covered


# --- the summary's line --------------------------------------------------------------------

def test_the_summary_line(L: Ledger) -> None:
    assert L.reports.summary()["key_villages"] == {
        "visited": 1, "total": 3, "missed": ["东坪村", "石桥村"]}
    assert L.reports.summary("2026-11-10")["key_villages"] == {
        "visited": 0, "total": 3, "missed": ["东坪村", "西岭村", "石桥村"]}


def test_the_summary_line_on_screen_and_in_json(town: Cli) -> None:
    out = run(town, "summary")
    assert "重点村本周走访:1/3 个到位;未到位:东坪村、石桥村" in out.splitlines()[2]
    data = json.loads(run(town, "summary", "--format", "json"))
    assert data["key_villages"] == {"visited": 1, "total": 3, "missed": ["东坪村", "石桥村"]}


def test_no_key_villages_no_line(cli: Cli) -> None:
    out = run(cli, "summary")
    assert "重点村" not in out
    data = json.loads(run(cli, "summary", "--format", "json"))
    assert data["key_villages"] == {"visited": 0, "total": 0, "missed": []}


# --- the command ---------------------------------------------------------------------------

def test_coverage_json_masks_names_unless_unmasked(town: Cli) -> None:
    data = json.loads(run(town, "coverage", "--format", "json"))
    assert [(v["village"], v["paired"], v["visited"], v["missing"])
            for v in data["key_villages"]] == [
        ("东坪村", 4, 3, ["李梅"]), ("石桥村", 0, 0, []), ("西岭村", 1, 1, [])]
    assert [(h["cadre"], h["paired"], h["visited"]) for h in data["households"]][:2] == [
        ("孙丽", 3, 1), ("李梅", 1, 1)]
    assert [(r["tag"], r["total"], r["visited"], r["rate"]) for r in data["tags"]] == [
        ("困难群体", 3, 1, 0.3333), ("独居老人", 2, 1, 0.5)]
    # People's names are masked (张*), organisations' are not.
    assert [(r["name"], r["last_visit_on"]) for r in data["not_visited"]] == [
        ("老*", None), ("河口幼儿园", None), ("刘*", "2026-10-28"), ("老王小卖部", "2026-11-03")]
    assert [r["name"] for r in data["households"][0]["not_visited"]] == ["老*", "张*"]
    full = json.loads(run(town, "coverage", "--format", "json", "--unmask"))
    assert full["not_visited"][0]["name"] == "老李"
    unmasked = sqlite3.connect(town.path).execute(
        "select count(*) from journal where action = 'unmask' and "
        "json_extract(data, '$.view') = 'coverage'").fetchone()[0]
    assert unmasked == 1


def test_coverage_on_screen_and_csv(town: Cli) -> None:
    out = run(town, "coverage")
    lines = out.splitlines()
    assert lines[:3] == ["走访覆盖", "2026-11-17 至 2026-11-23,数据截至 2026-11-23",
                         "重点村 3 个,包联人全部到村的 1 个"]
    assert "从未走访" in out and "#3 老*、#1 张*" in out
    assert "没有联系户的干部 4 名:高志远、钱工、王建国、陈卫东" in lines
    rows = run(town, "coverage", "--format", "csv").removeprefix("\ufeff").splitlines()
    assert rows[0] == "section,name,item,role,village,total,visited,rate,last_visit_on"
    assert "key_village,东坪村,李梅,镇科级领导,,,0,," in rows
    assert "tag,困难群体,,,,3,1,0.3333," in rows
    assert "household,陈卫东,,,,0,0,," in rows


def test_coverage_bad_periods(town: Cli) -> None:
    run(town, "coverage", "--week", "2026-11-17", "--from", "2026-11-01", code=2)
    run(town, "coverage", "--to", "2026-11-01", code=2)
    run(town, "coverage", "--from", "2026-11-20", "--to", "2026-11-01", code=2)
    run(town, "coverage", "--week", "2026-12-01", code=2)  # a week not begun


# --- pairs: refusals, undo, check -----------------------------------------------------------

@pytest.mark.parametrize("args, code, message", [
    (("--village", "东坪村", "--cadre", "无名", "--role", "县级领导"), 2, "没有干部“无名”"),
    (("--village", "东平村", "--cadre", "李梅", "--role", "县级领导"), 2, "没有村/社区“东平村”"),
    (("--village", "东坪村", "--cadre", "李梅", "--role", "乡长"), 2, "没有包联角色“乡长”"),
    (("--village", "东坪村", "--unit", "县民政局", "--role", "县级部门"), 2, "没有单位“县民政局”"),
    (("--village", "东坪村", "--cadre", "李梅"), 2, "--role"),
    (("--village", "东坪村", "--cadre", "李梅", "--unit", "县住建局", "--role", "县级领导"), 2,
     "--cadre 或 --unit"),
    (("--village", "东坪村", "--resident", "老李", "--cadre", "李梅"), 2, "只能给一个"),
    (("--resident", "老李", "--unit", "县住建局"), 2, "--cadre"),
    (("--cadre", "李梅", "--role", "县级领导"), 2, "--village"),
    (("--village", "东坪村", "--cadre", "李梅", "--role", "镇科级领导"), 1, "已经存在(#4)"),
    (("--resident", "老李", "--cadre", "孙丽"), 1, "已经存在(#8)"),
])
def test_pair_refusals_write_nothing(town: Cli, args: tuple, code: int, message: str) -> None:
    before = town.digest()
    r = town("pair", "add", *args, today=TODAY.isoformat())
    assert r.exit_code == code, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.output
    assert town.digest() == before


def test_pair_list(town: Cli) -> None:
    rows = json.loads(run(town, "pair", "list", "--village", "东坪村", "--format", "json"))
    assert [(r["id"], r["role"], r["kind"], r["cadre"] or r["unit"], r["resident"])
            for r in rows] == [
        (1, "县级领导", "cadre", "高志远", None), (2, "县级部门", "unit", "县住建局", None),
        (3, "镇主要领导", "cadre", "王建国", None), (4, "镇科级领导", "cadre", "李梅", None),
        (6, "联户干部", "household", "孙丽", "张秀兰"), (8, "联户干部", "household", "孙丽", "老李"),
    ]
    mine = json.loads(run(town, "pair", "list", "--cadre", "李梅", "--format", "json"))
    assert [(r["id"], r["village"]) for r in mine] == [(4, "东坪村"), (9, "河口社区")]


def check_passes(cli: Cli) -> None:
    L = cli.ledger()
    assert L.checks.problems(L.checks.run()) == []
    L.db.conn.close()


def pair_ids(cli: Cli) -> list[int]:
    return [i for i, in sqlite3.connect(cli.path).execute("select id from pairs order by id")]


def test_pair_add_remove_and_undo(town: Cli) -> None:
    assert "已添加包联 #10:河口社区 ← 陈卫东(包村干部)" in run(
        town, "pair", "add", "--village", "河口社区", "--cadre", "陈卫东", "--role", "包村干部")
    run(town, "undo")
    assert pair_ids(town) == list(range(1, 10))
    check_passes(town)
    assert "已移除包联 #4:东坪村 ← 李梅(镇科级领导)" in run(town, "pair", "remove", "#4")
    assert 4 not in pair_ids(town)
    run(town, "pair", "remove", "4", code=2)  # gone
    run(town, "pair", "remove", "第四", code=2)
    check_passes(town)
    run(town, "undo")  # back, with its number
    assert pair_ids(town) == list(range(1, 10))
    check_passes(town)


def test_village_key_and_undo(town: Cli) -> None:
    key = lambda: [n for n, in sqlite3.connect(town.path).execute(  # noqa: E731
        "select name from villages where key = 1 order by id")]
    before = town.digest()
    assert "已是重点村" in town("village", "key", "东坪村", today=TODAY.isoformat()).output
    run(town, "village", "key", "河口社区", "--off", code=1)
    assert town.digest() == before
    run(town, "village", "key", "东坪村", "--off")
    assert key() == ["西岭村", "石桥村"]
    check_passes(town)
    run(town, "undo")
    assert key() == ["东坪村", "西岭村", "石桥村"]
    run(town, "village", "key", "河口社区")
    assert key() == ["东坪村", "西岭村", "河口社区", "石桥村"]
    check_passes(town)


def test_a_pair_written_behind_the_ledgers_back_is_found(town: Cli) -> None:
    conn = sqlite3.connect(town.path)
    conn.execute("insert into pairs (village_id, cadre_id, role) values (4, 6, '包村干部')")
    conn.execute("update pairs set role = '网格员' where id = 1")
    conn.commit()
    conn.close()
    L = town.ledger()
    found = {(f.key, f.params.get("id")) for f in L.checks.run()}
    assert ("check.row_unjournaled", 10) in found and ("check.row_disagrees", 1) in found


# --- roles, organisation kinds, organisations -------------------------------------------------

def test_roles_are_data(town: Cli) -> None:
    run(town, "role", "add", "乡村振兴专干")
    run(town, "role", "add", "县级领导", code=1)
    roles = run(town, "role", "list").split()
    assert roles[1:9] == ["名称", "县级领导", "县级部门", "镇主要领导", "镇科级领导", "包村干部",
                          "联户干部", "网格员"] and roles[-1] == "乡村振兴专干"
    run(town, "pair", "add", "--village", "石桥村", "--cadre", "陈卫东", "--role", "乡村振兴专干")
    run(town, "undo")
    run(town, "undo")  # the role itself
    run(town, "pair", "add", "--village", "石桥村", "--cadre", "陈卫东", "--role", "乡村振兴专干",
        code=2)
    check_passes(town)


def test_organisations(town: Cli) -> None:
    run(town, "org-kind", "add", "农民专业合作社")
    run(town, "org", "add", "东坪养殖合作社", "--village", "东坪村", "--kind", "农民专业合作社")
    run(town, "org", "add", "东坪养殖合作社", "--village", "东坪村", "--kind", "非公企业", code=1)
    run(town, "org", "add", "某厂", "--village", "东坪村", "--kind", "外企", code=2)
    run(town, "visit", "log", "--org", "东坪养殖合作社", "--cadre", "孙丽", "--issue", "想接自来水")
    run(town, "visit", "log", "--org", "东坪养殖合作社", "--resident", "老李", code=2)
    page = run(town, "org", "show", "东坪养殖合作社")
    assert "单位/企业台账" in page and "农民专业合作社" in page and "想接自来水" in page
    rows = json.loads(run(town, "org", "list", "--format", "json"))
    assert [(r["name"], r["kind"], r["visits"], r["demands"]) for r in rows] == [
        ("东坪红薯粉厂", "非公企业", 1, 0), ("东坪养殖合作社", "农民专业合作社", 1, 1),
        ("老王小卖部", "个体工商户", 1, 0), ("河口幼儿园", "学校", 0, 0)]
    data = json.loads(run(town, "coverage", "--format", "json"))
    assert data["organisations"][-1] == {"kind": "农民专业合作社", "total": 1, "visited": 1,
                                         "rate": 1.0}
    run(town, "org", "show", "张秀兰", code=2)  # a person is not an organisation
    check_passes(town)


# --- on a terminal: the README's screen ---------------------------------------------------------

README_SCENARIO = """\
unit add 县政府办 --level 县级
cadre add 高志远 --unit 县政府办
village key 石桥村
village key 东坪村
village key 新民社区
pair add --village 石桥村 --cadre 高志远 --role 县级领导
pair add --village 石桥村 --unit 县水利局 --role 县级部门
pair add --village 石桥村 --cadre 王立新 --role 镇主要领导
pair add --village 石桥村 --cadre 陈卫东 --role 镇科级领导
pair add --village 东坪村 --cadre 孙丽 --role 包村干部
pair add --village 新民社区 --cadre 黄志强 --role 包村干部
pair add --resident 张桂兰 --cadre 孙丽
pair add --resident 陈永福 --cadre 孙丽
pair add --resident 罗小兵 --cadre 黄志强
pair add --resident 许海波 --cadre 黄志强
pair add --resident 冯桂芝 --cadre 刘海燕
org add 东坪红薯粉厂 --village 东坪村 --kind 非公企业
org add 青石小学 --village 青石社区 --kind 学校
visit log --org 东坪红薯粉厂 --cadre 孙丽 --note 了解用工和环保
pair add --resident 赵秀英 --cadre 陈卫东"""


def test_the_readme_screen(tmp_path: Path) -> None:
    import os
    import re

    from .test_screens import cells, on_terminal

    if os.name == "nt":
        pytest.skip("pseudo-terminals are POSIX")
    demo = tmp_path / "demo.db"
    cli = Cli(demo)
    assert cli("demo", "--db", str(demo), today="2026-11-17").exit_code == 0
    for line in README_SCENARIO.splitlines():
        r = cli("--db", str(demo), *line.split(), today="2026-11-17")
        assert r.exit_code == 0, (line, r.output)
    for width in (80, 100, 120):
        text = on_terminal(demo, width, "coverage")
        assert max(cells(x) for x in text.split("\n")) <= width
    screen = "\n".join(x.rstrip() for x in on_terminal(demo, 100, "coverage").strip().split("\n"))
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"\n```\n(走访覆盖\n.*?)\n```", readme, re.S)
    assert shown and shown[1] == screen
    summary = on_terminal(demo, 100, "summary").split("\n")
    assert summary[2] == "重点村本周走访:2/3 个到位;未到位:石桥村"


def test_in_english(town: Cli) -> None:
    r = town("--lang", "en", "coverage", today=TODAY.isoformat())
    assert r.exit_code == 0
    assert r.output.splitlines()[:3] == [
        "Visit coverage", "2026-11-17 to 2026-11-23, as of 2026-11-23",
        "key villages: 1 of 3 visited by everyone paired with them"]
    assert "4 cadre(s) with no households paired: 高志远, 钱工, 王建国, 陈卫东" in r.output
    r = town("--lang", "en", "pair", "add", "--village", "东坪村", "--cadre", "李梅", "--role",
             "镇科级领导", today=TODAY.isoformat())
    assert (r.exit_code, r.output.strip()) == (
        1, "error: this pairing exists already (#4); nothing was added")
