"""Nobody counted twice: a resident's ID number or phone refused when it is someone else's,
a namesake in the same village asked about (--new / --same), two pages of one person merged
(every visit, demand and journal row kept, `ledger check` clean, undoable), re-imported
unnumbered rows caught as likely duplicates, and repeat demands (重复诉求) shown and linked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.errors import BadInput, NotFound, Refused
from ledger.services import Ledger

from .conftest import ID_1, ID_2, TODAY, Cli


def residents(L: Ledger) -> list[tuple]:
    return [tuple(r) for r in L.db.execute(
        "select id, name, village_id, phone, id_number, address, note from residents order by id")]


def journal_count(L: Ledger) -> int:
    return L.db.execute("select count(*) from journal").fetchone()[0]


def problems(L: Ledger) -> list[str]:
    return [f.key for f in L.checks.problems(L.checks.run())]


# --- duplicates refused or flagged ------------------------------------------------------------

def test_an_id_number_of_someone_else_is_refused_with_their_page(cli: Cli) -> None:
    before = cli.digest()
    r = cli("resident", "add", "张三", "--village", "西岭村", "--id-number", ID_1)
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == ["错误:这个身份证号已登记为 #1 张秀兰"]
    assert cli.digest() == before


def test_a_phone_of_someone_else_is_refused_with_their_page(cli: Cli) -> None:
    before = cli.digest()
    r = cli("resident", "add", "李四", "--village", "西岭村", "--phone", "13812345678")
    assert r.exit_code == 1
    assert r.output.strip() == ("错误:这个电话已登记为 #1 张秀兰(东坪村, 尾号5678);"
                                "是同一个人请用 resident show 查看(未登记)")
    assert cli.digest() == before


def test_a_namesake_in_the_same_village_needs_new_or_same(cli: Cli) -> None:
    before = cli.digest()
    r = cli("resident", "add", "王芳", "--village", "东坪村")
    assert r.exit_code == 1
    assert len(r.output.strip().splitlines()) == 1
    assert "--new" in r.output and "--same" in r.output and "#2 王芳(东坪村, 尾号1111)" in r.output
    assert cli.digest() == before
    # Another village's 王芳 is not a namesake there.
    assert cli("resident", "add", "王芳", "--village", "河口社区").exit_code == 0
    r = cli("resident", "add", "王芳", "--village", "东坪村", "--new", "--phone", "13900003333")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "已新增群众:#5 王芳"
    L = cli.ledger()
    assert [row[0] for row in residents(L) if row[1] == "王芳"] == [2, 3, 4, 5]
    assert problems(L) == []


def test_same_uses_the_existing_page_and_fills_only_what_it_lacks(cli: Cli) -> None:
    r = cli("resident", "add", "王芳", "--village", "东坪村", "--same", "--address", "东坪村3号",
            "--tag", "困难群体")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "用已有的 #2 王芳(补登 2 项)"
    L = cli.ledger()
    assert L.residents.get("#2")["address"] == "东坪村3号"
    assert L.residents.tags(2) == ["困难群体"]
    assert L.db.execute("select count(*) from residents").fetchone()[0] == 3
    assert problems(L) == []
    L.db.conn.close()
    # A value that differs from the page's own is refused: --same never overwrites.
    before = cli.digest()
    r = cli("resident", "add", "王芳", "--village", "东坪村", "--same", "--phone", "13900009999")
    assert r.exit_code == 1
    assert "已登记的电话与所填不同" in r.output
    assert cli.digest() == before
    # Both flags, or --same without anyone to use: one line, nothing written.
    assert cli("resident", "add", "王芳", "--village", "东坪村", "--same", "--new").exit_code == 2
    r = cli("resident", "add", "赵六", "--village", "东坪村", "--same")
    assert r.exit_code == 2 and "去掉 --same" in r.output
    assert cli.digest() == before
    # --same is undone like any change.
    assert cli("undo").exit_code == 0
    L = cli.ledger()
    assert L.residents.get("#2")["address"] is None and L.residents.tags(2) == []
    assert problems(L) == []


def test_same_refuses_a_phone_of_someone_else(ledger: Ledger) -> None:
    with pytest.raises(Refused) as e:
        ledger.residents.same("王芳", "东坪村", phone="13812345678")
    assert e.value.key == "resident.phone_taken"


def test_import_still_matches_residents_by_name_and_village(ledger: Ledger) -> None:
    """Residents created implicitly (import) are matched, not doubled: a row naming
    王芳 of 东坪村 is her page."""
    from ledger.io.importer import import_csv

    csv = ("受理日期,村/社区,反映人,联系电话,诉求内容\n"
           "2026-11-16,东坪村,王芳,13900001111,门口排水沟堵了\n").encode("utf-8")
    import_csv(ledger, csv)
    assert ledger.db.execute("select count(*) from residents").fetchone()[0] == 3
    assert ledger.db.execute("select resident_id from demands").fetchone()[0] == 2


# --- merge ------------------------------------------------------------------------------------

def two_pages(L: Ledger) -> None:
    """王芳 of 东坪村 (#2) was also registered as #4, with her ID number; visits and
    demands on both pages."""
    L.residents.add("王芳", "东坪村", id_number="11010119500101101X", tags=["困难群体"],
                    new=True)
    L.visits.log(village="东坪村", resident="#2", cadres=["王建国"], on="2026-11-10",
                 issues=["门前路灯坏了"], category="基础设施")
    L.visits.log(village="东坪村", resident="#4", cadres=["李梅"], on="2026-11-17",
                 issues=["低保怎么申请"], category="生活困难")
    L.demands.add("家里屋顶漏雨", resident="#4", on="2026-11-16")
    L.demands.resolve("2026-000003", result="已修", on="2026-11-17")


def test_merge_keeps_every_visit_demand_and_journal_row_and_passes_check(ledger: Ledger) -> None:
    two_pages(ledger)
    journal_before = [tuple(r) for r in ledger.db.execute("select * from journal order by id")]
    demands_before = {n: s for n, s in ledger.db.execute("select number, status from demands")}
    got = ledger.residents.merge("#2", "#4")
    assert (got["into"], got["from"], got["visits"], got["demands"]) == (2, 4, 1, 2)
    # Every visit and demand is on #2 now; #4 is gone; #2 gained the ID number and the tag.
    assert ledger.db.execute("select group_concat(resident_id) from (select resident_id from"
                             " visits order by id)").fetchone()[0] == "2,2"
    assert ledger.db.execute("select group_concat(resident_id) from (select resident_id from"
                             " demands order by id)").fetchone()[0] == "2,2,2"
    assert {n: s for n, s in ledger.db.execute("select number, status from demands")} \
        == demands_before
    assert ledger.db.execute("select count(*) from residents where id = 4").fetchone()[0] == 0
    a = ledger.residents.get("#2")
    assert (a["phone"], a["id_number"]) == ("13900001111", "11010119500101101X")
    assert ledger.residents.tags(2) == ["困难群体"]
    # The journal kept every row it had, and gained the merge's (append-only, chained).
    journal_after = [tuple(r) for r in ledger.db.execute("select * from journal order by id")]
    assert journal_after[:len(journal_before)] == journal_before
    added = [(r[1], r[2], r[3]) for r in journal_after[len(journal_before):]]
    assert added == [("demand", 2, "merge_resident"), ("demand", 3, "merge_resident"),
                     ("visit", 2, "resident"), ("resident", 4, "merged"),
                     ("resident", 2, "update")]
    assert problems(ledger) == []
    # The page shows what was merged in, and a merged page tells where it went.
    page = ledger.residents.page("#2")
    assert sorted(d["number"] for d in page["demands"]) == ["2026-000001", "2026-000002", "2026-000003"]
    assert len(page["visits"]) == 2
    assert page["merged"] == [{"id": 4, "name": "王芳", "on": TODAY.isoformat()}]
    with pytest.raises(NotFound) as e:
        ledger.residents.get("#4")
    assert e.value.key == "resident.merged" and e.value.params["into"] == 2
    # The demand's state (a bookkeeping step) kept its last step and first response.
    row = ledger.demands.row("2026-000003")
    assert (row["updated_on"], row["first_step_on"]) == ("2026-11-17", "2026-11-17")
    assert ledger.demands.disagreements("2026-000002") == []


def test_merge_is_undone_whole(ledger: Ledger) -> None:
    two_pages(ledger)
    before = residents(ledger)
    tags = ledger.residents.tags_by_resident()
    visits = [tuple(r) for r in ledger.db.execute("select id, resident_id from visits")]
    ledger.residents.merge("#2", "#4")
    ledger.history.undo()
    assert residents(ledger) == before
    assert ledger.residents.tags_by_resident() == tags
    assert [tuple(r) for r in ledger.db.execute("select id, resident_id from visits")] == visits
    assert ledger.db.execute("select group_concat(resident_id) from (select resident_id from"
                             " demands order by id)").fetchone()[0] == "2,4,4"
    assert ledger.residents.page("#2")["merged"] == []
    assert [r["id"] for r in ledger.residents.by_pinyin("wangfang")] == [2, 3, 4]
    assert problems(ledger) == []


def test_merge_refuses_two_people_and_one_page(ledger: Ledger) -> None:
    count = journal_count(ledger)
    with pytest.raises(Refused) as e:
        ledger.residents.merge("#1", "#3")  # two ID numbers: two people
    assert e.value.key == "resident.merge_two_people"
    with pytest.raises(BadInput):
        ledger.residents.merge("#2", "#2")
    assert journal_count(ledger) == count


def test_merge_on_the_command_line_and_the_page_on_screen(cli: Cli) -> None:
    L = cli.ledger()
    two_pages(L)
    L.db.conn.close()
    r = cli("resident", "merge", "#2", "#4")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == ("#4 王芳(东坪村) 已并入 #2 王芳(东坪村, 尾号1111):走访 1 次、"
                                "诉求 2 件(可用 ledger undo 撤销)")
    page = cli("resident", "show", "#2").output
    assert "并入的页  #4 王芳(2026-11-17)" in page
    r = cli("resident", "show", "#4")
    assert r.exit_code == 2 and r.output.strip() == "错误:#4 王芳 已并入 #2,请查看 #2"
    assert cli("check").exit_code == 0
    assert "2026-11-17  并入同一人的一页" in cli("issue", "show", "2026-000002").output
    assert cli("undo").exit_code == 0
    assert cli("check").exit_code == 0
    assert "并入的页" not in cli("resident", "show", "#2").output


# --- import duplicates ------------------------------------------------------------------------

UNNUMBERED = ("受理日期,村/社区,反映人,联系电话,类别,诉求内容\n"
              "2026-11-10,东坪村,张秀兰,13812345678,基础设施,村口路灯坏了三盏\n"
              "2026-11-10,西岭村,,,,水渠堵了\n")


def test_reimported_unnumbered_rows_are_likely_duplicates(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "rows.csv"
    f.write_text(UNNUMBERED, encoding="utf-8")
    assert cli("import", str(f)).exit_code == 0
    before = cli.digest()
    r = cli("import", str(f))
    assert r.exit_code == 2
    assert ("第 2 行“诉求内容”列“村口路灯坏了三盏”:可能与台账中的 2026-000001 重复"
            "(同村、同类别、同受理日期,内容相似度 100)") in r.output
    assert "2026-000002" in r.output
    assert cli.digest() == before  # nothing written
    # A row that only looks like one (another day, another category) is no duplicate.
    f.write_text(UNNUMBERED.replace("2026-11-10,西岭村", "2026-11-11,西岭村"), encoding="utf-8")
    r = cli("import", str(f))
    assert r.exit_code == 2 and "第 3 行" not in r.output
    r = cli("import", str(f), "--allow-duplicates")
    assert r.exit_code == 0, r.output
    L = cli.ledger()
    assert L.demands.count() == 4
    assert problems(L) == []


def test_near_identical_but_not_the_same_text(ledger: Ledger) -> None:
    from ledger.io.importer import ImportRefused, import_csv

    import_csv(ledger, UNNUMBERED.encode("utf-8"))
    changed = UNNUMBERED.replace("村口路灯坏了三盏", "村口路灯坏了三盏。").replace("水渠堵了", "水渠里有死鱼")
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, changed.encode("utf-8"))
    assert [(p.row, p.key, p.params["number"]) for p in e.value.params["errors"]] == \
        [(2, "import.likely_duplicate", "2026-000001")]
    assert ledger.demands.count() == 2


# --- repeat demands (重复诉求) ------------------------------------------------------------------

def test_possible_repeats_are_shown_and_linked(cli: Cli) -> None:
    r = cli("visit", "log", "--resident", "#1", "--cadre", "王建国", "--issue", "屋顶漏水",
            "--category", "基础设施", today="2026-11-10")
    assert r.exit_code == 0
    r = cli("issue", "add", "屋顶又漏水了", "--resident", "#1", today="2026-11-17")
    assert r.exit_code == 0
    assert r.stdout.strip() == "已受理诉求 2026-000002"
    assert r.stderr.strip() == "注意:2026-000002 可能是重复诉求(1 件相似):2026-000001(相似度 80,办理中)"
    r = cli("issue", "add", "屋顶又漏水了,还没修", "--resident", "#1", "--repeat-of", "2026-000001",
            "--category", "基础设施")
    assert r.exit_code == 0
    # The linked one is not offered again; the other similar one is.
    assert "2026-000001(" not in r.stderr and "2026-000002" in r.stderr
    L = cli.ledger()
    row = L.demands.row("2026-000003")
    assert row["repeat_of"] == L.demands.row("2026-000001")["id"]
    assert L.demands.row("2026-000002")["repeat_of"] is None
    assert problems(L) == []
    # A repeat of the same village and category, without a resident.
    got = L.demands.possible_repeats("2026-000003")
    assert [x["number"] for x in got] == ["2026-000002"]
    # Counted: the week's summary and the report card's 重复投诉.
    assert L.reports.summary("2026-11-17")["repeat_demands"] == 1
    assert L.reports.summary("2026-11-10")["repeat_demands"] == 0
    card = L.reports.card("village")
    assert [(row["name"], row["repeats"]) for row in card["rows"]] == [("东坪村", 1)]
    assert card["total"]["repeats"] == 1
    out = json.loads(cli("report", "--by", "village", "--format", "json").stdout)
    assert out["rows"][0]["repeats"] == 1


def test_repeats_follow_the_settings(ledger: Ledger) -> None:
    ledger.demands.add("屋顶漏水", resident="#1", on="2026-06-01")
    ledger.demands.resolve("2026-000001", result="修好了", on="2026-06-02")
    ledger.demands.add("屋顶又漏水了", resident="#1", on="2026-11-16")
    assert ledger.demands.possible_repeats("2026-000002") == []  # resolved 167 days before
    ledger.reports.set_setting("repeat.days", "200")
    assert [r["number"] for r in ledger.demands.possible_repeats("2026-000002")] == ["2026-000001"]
    ledger.reports.set_setting("repeat.similarity", "90")
    assert ledger.demands.possible_repeats("2026-000002") == []


def test_repeat_of_a_later_demand_is_refused(ledger: Ledger) -> None:
    ledger.demands.add("路灯坏了", village="东坪村", on="2026-11-16")
    count = journal_count(ledger)
    with pytest.raises(BadInput) as e:
        ledger.demands.add("路灯又坏了", village="东坪村", on="2026-11-10", repeat_of="2026-000001")
    assert e.value.key == "repeat.later"
    with pytest.raises(NotFound):
        ledger.demands.add("路灯又坏了", village="东坪村", repeat_of="2026-000099")
    assert journal_count(ledger) == count


def test_a_township_with_merged_pages_and_repeats_merges_into_the_county(tmp_path: Path) -> None:
    from ledger.io.merge import merge_ledger
    from ledger.services import open_ledger

    from .conftest import setup_township

    town = setup_township(Ledger(open_ledger(tmp_path / "town.db"), today=TODAY, user="刘洁"))
    two_pages(town)
    town.demands.add("路灯又坏了", resident="#2", repeat_of="2026-000001")
    town.residents.merge("#2", "#4")
    town.db.conn.close()
    county = Ledger(open_ledger(tmp_path / "county.db"), today=TODAY, user="县文书")
    merge_ledger(county, tmp_path / "town.db")
    assert problems(county) == []
    # each case keeps the township's number, shown with the township's name
    ids = {n.split(":")[-1]: i for n, i in county.db.execute("select number, id from demands")}
    wang = county.db.execute("select id from residents where name = '王芳' and phone = "
                             "'13900001111'").fetchone()[0]
    assert county.db.execute("select count(*) from demands where resident_id = ?",
                             [wang]).fetchone()[0] == 4
    assert county.db.execute("select repeat_of from demands where text = '路灯又坏了'"
                             ).fetchone()[0] == ids["2026-000001"]
