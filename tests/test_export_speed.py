"""The demand export's quick path (each register name escaped once, free text only when its
first character may need it, rows written by ``csv.writer.writerows``) writes exactly the
cells of the rule applied cell by cell: every text cell through ``escape_cell``."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ledger import lifecycle
from ledger.i18n import label
from ledger.io.csvformat import SEP, escape_cell, export_csv, headers
from ledger.privacy import mask_name, mask_phone
from ledger.services import Ledger

from .test_csvio import full  # noqa: F401 (the fixture: demands in every status)


def reference_rows(L: Ledger, *, unmask: bool, mask_names: bool) -> list[list[str]]:
    """The export's rows worked out the slow, obvious way."""
    units = L.registers.unit_names()
    e = escape_cell
    rows = []
    for (number, received_on, township, village, grid, resident, tel, channel, category, cx,
         type_, text, st, lv, lead, co, handler, leader, due_on, provisional, settled,
         escalated_on, assigned_on, suspended_since, resolved_on, result, feedback,
         followed_up_on, sat, closed_on, reopen_count, first_step_on, locality
         ) in L.demands.export_rows():
        name = mask_name(resident) if mask_names else resident
        phone = tel if unmask else mask_phone(tel)
        co_units = json.loads(co) if co else []
        rows.append([e(c) for c in (
            number, received_on, township, village, grid, name, phone, channel, category,
            label("complexity", cx) if cx else "", type_, text, label("status", st),
            label("level", lv), units[lead] if lead else None,
            SEP.join(units[u] for u in co_units), handler, leader, due_on,
            ("是" if provisional else "否") if due_on else None, "是" if settled else "否",
            escalated_on, assigned_on, suspended_since, resolved_on, result, feedback,
            followed_up_on, label("satisfaction", sat) if sat else "", closed_on,
            reopen_count or 0, first_step_on, locality)])
    return rows


def exported(L: Ledger, **kw) -> tuple[int, list[list[str]]]:
    out = io.BytesIO()
    n = export_csv(L, "demands", out, **kw)
    return n, list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("unmask, mask_names", [(False, False), (True, False), (False, True),
                                                (True, True)])
def test_the_export_writes_the_rule_cell_by_cell(full: Ledger, unmask: bool,  # noqa: F811
                                                 mask_names: bool) -> None:
    L = full
    # text a spreadsheet would run or trim, and phones a spreadsheet would round
    cases = (("=SUM(A1)", "+8613812345678"), ("-5度", "0123"), ("\u200b@某人", "13812345678"),
             ("'引号", "123"), ("普通诉求", ""), ("=另一件", None))
    for i, (text, phone) in enumerate(cases):
        L.residents.add(f"测试{'甲乙丙丁戊己'[i]}", "东坪村")
        L.demands.add(text, village="东坪村", resident=f"测试{'甲乙丙丁戊己'[i]}", on="2026-11-16")
        L.db.execute("update residents set phone = ? where name = ?",
                     (phone, f"测试{'甲乙丙丁戊己'[i]}"))
    n, rows = exported(L, unmask=unmask, mask_names=mask_names)
    assert rows[0] == headers("demands")
    assert n == len(rows) - 1 == len(reference_rows(L, unmask=unmask, mask_names=mask_names))
    assert rows[1:] == reference_rows(L, unmask=unmask, mask_names=mask_names)
    cells = {r[11]: r[6] for r in rows[1:]}  # 诉求内容: 联系电话
    assert cells["'=SUM(A1)"] == ("'+8613812345678" if unmask else "'+86*******5678")
    assert cells["'-5度"] == ("\t0123" if unmask else "\t0123")  # a landline's last four
    assert cells["'\u200b@某人"] == ("\t13812345678" if unmask else "138****5678")
    assert cells["''引号"] == "123" and cells["普通诉求"] == "" and cells["'=另一件"] == ""


def test_an_exported_row_exactly(full: Ledger) -> None:  # noqa: F811
    n, rows = exported(full)
    assert n == 11 and len(rows) == 12
    assert rows[2] == [
        "2026-000001", "2026-10-27", "青石镇", "东坪村", "一组", "张秀兰", "138****5678",
        "入户走访", "违章搭建", "疑难复杂", "投诉", "违章搭建导致屋顶渗水", "已销号", "县级",
        "县住建局", "镇综治中心", "周工", "副县长 陈立", "2026-11-23", "否", "否", "2026-10-30",
        "2026-11-02", "", "2026-11-16", "重新做防水", "", "2026-11-17", "满意", "2026-11-17",
        "1", "2026-10-27", ""]
