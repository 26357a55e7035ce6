"""ledger merge: a county gathers its townships' ledgers."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from ledger.errors import LedgerFileError, Refused
from ledger.io.merge import merge_ledger
from ledger.services import Ledger
from ledger.services import open_ledger

from .conftest import Cli, ID_1

TODAY = date(2026, 11, 17)


def township(path: Path, name: str, village: str, people: list[tuple[str, str | None]]) -> Ledger:
    L = Ledger(open_ledger(path), today=TODAY, user=f"{name}文书")
    L.registers.add_township(name)
    L.registers.add_village(village)
    L.registers.add_unit("县住建局", "county")
    L.registers.add_unit(f"{name}司法所", "township")
    L.registers.add_cadre(f"{name}干部")
    for person, id_number in people:
        L.residents.add(person, village, id_number=id_number, tags=["独居老人"])
    v = L.visits.log(village=village, resident=people[0][0], cadres=[f"{name}干部"],
                    on="2026-11-10", issues=["屋顶漏水", "路灯坏了"])
    a, b = v["numbers"]
    L.demands.escalate(a, reason="村里修不了", on="2026-11-10")
    L.demands.escalate(a, reason="需县里鉴定", on="2026-11-11")
    L.demands.assign(a, unit="县住建局", co_units=[f"{name}司法所"], on="2026-11-11")
    L.demands.settle(b, result="当场报修", on="2026-11-10")
    L.demands.follow_up(b, satisfaction="不满意", reopen=True, on="2026-11-12")
    L.demands.resolve(b, result="已换灯", on="2026-11-13")
    L.demands.add("宅基地争议", village=village, on="2025-12-30", complexity="complex")
    return L


@pytest.fixture
def towns(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "青石镇.db", tmp_path / "白关镇.db"
    township(a, "青石镇", "东坪村", [("张秀兰", ID_1), ("李四", None)]).db.conn.close()
    township(b, "白关镇", "东坪村", [("张秀兰", ID_1), ("王五", None)]).db.conn.close()
    return a, b


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_townships_merge_into_a_county(towns, tmp_path: Path) -> None:
    a, b = towns
    before = (digest(a), digest(b))
    county = Ledger(open_ledger(tmp_path / "county.db"), today=TODAY, user="县社工部")
    first = merge_ledger(county, a)
    second = merge_ledger(county, b)
    assert (first.demands, first.visits, first.residents) == (3, 1, 2)
    # 张秀兰 has the same ID number in both: one person in the county's ledger.
    assert (second.demands, second.visits, second.residents) == (3, 1, 1)
    assert (digest(a), digest(b)) == before, "merging never writes the other file"
    rows = county.demands.list()
    # Every case keeps its township's number, shown with the township's name.
    assert sorted(r["number"] for r in rows) == [
        "白关镇:2025-000001", "白关镇:2026-000001", "白关镇:2026-000002",
        "青石镇:2025-000001", "青石镇:2026-000001", "青石镇:2026-000002"]
    # Same village name in two townships stays two villages.
    assert sorted(r["township"] or "" for r in county.registers.listing("village")) == ["白关镇", "青石镇"]
    origins = county.db.execute("select count(distinct origin_ledger), count(*) from demands "
                                "where origin_number is not null").fetchone()
    assert origins == (2, 6)
    for r in rows:
        assert county.demands.disagreements(r["number"]) == [], r["number"]
    d = county.demands.show("青石镇:2026-1")
    assert (d["level"], d["unit"], [e["action"] for e in d["events"]]) == (
        "county", "县住建局", ["accept", "escalate", "escalate", "assign"])
    assert d["due_on"] == "2026-11-12"


def test_merging_the_same_file_again_adds_nothing(towns, tmp_path: Path) -> None:
    a, _ = towns
    county = Ledger(open_ledger(tmp_path / "county.db"), today=TODAY)
    merge_ledger(county, a)
    journal = county.db["journal"].count
    again = merge_ledger(county, a)
    assert (again.demands, again.visits, again.residents, again.skipped) == (0, 0, 0, 3)
    assert county.db["demands"].count == 3
    assert county.db["journal"].count == journal + 1  # only the record of the merge itself


def test_a_ledger_cannot_merge_itself(towns) -> None:
    a, _ = towns
    with pytest.raises(Refused):
        merge_ledger(Ledger(open_ledger(a), today=TODAY), a)


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    county = Ledger(open_ledger(tmp_path / "county.db"), today=TODAY)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    for path in (junk, tmp_path / "missing.db"):
        with pytest.raises(LedgerFileError):
            merge_ledger(county, path)
    assert county.db["demands"].count == 0


def test_merge_through_the_cli(towns, tmp_path: Path) -> None:
    a, b = towns
    county = tmp_path / "county.db"
    cli = Cli(county)
    r = cli("merge", str(a), "--db", str(county))
    assert r.exit_code == 0 and "诉求 3 件" in r.output
    r = cli("merge", str(a), "--db", str(county))
    assert "诉求 0 件(此前已合并、跳过 3 件)" in r.output
    r = cli("merge", str(tmp_path / "nope.db"), "--db", str(county))
    assert r.exit_code == 1 and "Traceback" not in r.output
