"""Pinyin lookup: a clerk who types zhangxiulan, zxl or zhangxl finds 张秀兰, wherever a
resident, cadre, village or unit is looked up; every reading of a polyphonic character
(单 shan/dan, 曾 zeng/ceng, 乐 le/yue) finds it; several matches are listed; the keys are
written with the name, and reading them never imports pypinyin."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledger.errors import BadInput, NotFound
from ledger.models import pinyin_keys
from ledger.services import Ledger, open_ledger

from .conftest import TODAY, Cli


def test_the_keys_of_a_name() -> None:
    assert pinyin_keys("张秀兰") == ["zhangxiul", "zhangxiulan", "zhangxl", "zxl"]
    assert pinyin_keys("A村") == ["ac", "acun"]
    shan = pinyin_keys("单雄信")
    assert {"shanxiongxin", "danxiongxin", "sxx", "dxx", "shanxx"} <= set(shan)
    assert {"zengguofan", "cengguofan", "zgf", "cgf"} <= set(pinyin_keys("曾国藩"))
    assert {"lejia", "yuejia", "lj", "yj"} <= set(pinyin_keys("乐嘉"))
    assert {"lvbu", "lubu"} <= set(pinyin_keys("吕布"))


@pytest.fixture
def people(ledger: Ledger) -> Ledger:
    for name, village in (("单雄信", "西岭村"), ("曾国藩", "西岭村"), ("乐嘉", "河口社区"),
                          ("张秀英", "西岭村")):
        ledger.residents.add(name, village)
    return ledger


@pytest.mark.parametrize("typed, found", [
    ("zhangxiulan", 1), ("zxl", 1), ("zhangxl", 1), ("ZhangXiuLan", 1), ("zhangxiul", 1),
    ("shanxiongxin", 4), ("danxiongxin", 4), ("sxx", 4), ("dxx", 4),
    ("zengguofan", 5), ("cengguofan", 5), ("zgf", 5), ("cgf", 5),
    ("lejia", 6), ("yuejia", 6), ("yj", 6), ("lj", 6),
])
def test_residents_by_pinyin_initials_and_mixed(people: Ledger, typed: str, found: int) -> None:
    assert people.residents.get(typed)["id"] == found


def test_a_prefix_finds_one_or_lists_them(people: Ledger) -> None:
    assert people.residents.get("zxy")["name"] == "张秀英"
    with pytest.raises(BadInput) as e:
        people.residents.get("zhangxiu")  # 张秀兰 and 张秀英 both begin so
    assert e.value.key == "resident.ambiguous"
    assert [c.split(" ")[0] for c in e.value.params["choices"]] == ["#1", "#7"]
    with pytest.raises(BadInput):
        people.residents.get("wangfang")  # two 王芳, in two villages
    assert people.residents.get("wangfang/西岭村")["id"] == 3
    with pytest.raises(NotFound):
        people.residents.get("qianwu")


def test_villages_units_cadres_by_pinyin(people: Ledger) -> None:
    r = people.registers
    assert r.village("dongpingcun")["name"] == "东坪村"
    assert r.village("dpc")["name"] == "东坪村"
    assert r.village("xiling")["name"] == "西岭村"  # the beginning of its keys
    assert r.unit("zsfs")["name"] == "镇司法所"
    assert r.unit("xianzhujianju")["name"] == "县住建局"
    assert r.cadre("wjg")["name"] == "王建国"
    assert r.cadre("limei")["name"] == "李梅"
    with pytest.raises(BadInput) as e:
        r.unit("xz")  # 县住建局 and 县自然资源局
    assert e.value.key == "pinyin.ambiguous"
    assert e.value.params["choices"] == ["县住建局", "县自然资源局"]
    # A visit logged with pinyin everywhere.
    got = people.visits.log(village="dpc", resident="zxl", cadres=["wjg", "lm"],
                            issues=["路灯坏了"])
    row = people.demands.row(got["numbers"][0])
    assert (row["village_id"], row["resident_id"]) == (1, 1)


def test_keys_follow_the_rows(people: Ledger) -> None:
    people.residents.add("单雄信", "东坪村", new=True)
    with pytest.raises(BadInput):
        people.residents.get("sxx")
    people.history.undo()
    assert people.residents.get("sxx")["id"] == 4
    assert people.db.execute("select count(*) from name_keys where kind = 'resident' and "
                             "ref_id = 8").fetchone()[0] == 0


def test_the_migration_fills_the_keys_of_names_already_there(tmp_path) -> None:
    path = tmp_path / "old.db"
    L = Ledger(open_ledger(path), today=TODAY, user="x")
    L.registers.add_township("青石镇")
    L.registers.add_village("东坪村")
    L.residents.add("曾国藩", "东坪村")
    # As a ledger written before m016: no keys.
    L.db.execute("delete from name_keys")
    L.db.execute("delete from _sqlite_migrations where name = 'm016_lookup'")
    L.db.execute("drop table name_keys")
    L.db.execute("drop index idx_demands_repeats")
    L.db.execute("alter table demands drop column repeat_of")
    L.db.conn.commit()
    L.db.conn.close()
    L = Ledger(open_ledger(path), today=TODAY, user="x")
    assert L.residents.get("zgf")["name"] == "曾国藩"
    assert L.registers.village("dpc")["name"] == "东坪村"
    assert L.db.execute("select count(*) from name_keys").fetchone()[0] == sum(
        len(pinyin_keys(n)) for n in ("青石镇", "东坪村", "曾国藩"))


def test_resident_find_by_pinyin_and_json(cli: Cli) -> None:
    r = cli("resident", "find", "wangf", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["id"], x["name"], x["village"], x["phone"]) for x in rows] == [
        (2, "王芳", "东坪村", "139****1111"), (3, "王芳", "西岭村", "139****2222")]
    assert set(rows[0]) == {"id", "name", "village", "phone", "tags", "visits", "demands"}
    rows = json.loads(cli("resident", "find", "zxl", "--format", "json").stdout)
    assert [x["name"] for x in rows] == ["张秀兰"]
    rows = json.loads(cli("resident", "find", "5678", "--format", "json").stdout)
    assert [x["id"] for x in rows] == [1]
    r = cli("resident", "show", "wangfang")
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1
    assert "#2 王芳(东坪村, 尾号1111)" in r.output and "#3 王芳(西岭村, 尾号2222)" in r.output
    assert "张秀兰" in cli("resident", "show", "zhangxl").output


def test_reading_never_imports_pypinyin_or_rapidfuzz(db_path) -> None:
    code = ("import sys\n"
            "from typer.testing import CliRunner\n"
            "from ledger.cli import app\n"
            "r = CliRunner().invoke(app, ['resident', 'show', 'zxl'])\n"
            "assert r.exit_code == 0, r.output\n"
            "r = CliRunner().invoke(app, ['resident', 'find', 'wangf'])\n"
            "assert r.exit_code == 0, r.output\n"
            "r = CliRunner().invoke(app, ['--help'])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pypinyin', 'rapidfuzz')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "LEDGER_DB": str(db_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
