"""Pinyin lookup on a ledger of many residents, next to `resident show` by number.

    .venv/bin/python benchmarks/pinyin.py [--residents 200000] [--runs 5]

Builds /tmp/ledger-bench/pinyin.db (never in the repository): one township, 300 villages and
N residents with random names (a hundred common surnames, given names of one or two
characters from two hundred), registered straight in SQL, then their pinyin keys filled as
migration m016_lookup fills them for an existing ledger (timed: that is the one-off cost of
the upgrade). One resident, 单乐曾 (#2, three polyphonic characters; a surname the others do not have), is
the one looked up. ``--reuse`` times the commands on the ledger built before.
Each command runs as a whole process (wall clock, median of the runs after one warm-up).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
            "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段"
            "雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("秀兰英华玉梅芳敏静丽强军伟勇杰涛明超亮刚平辉建国志红霞燕桂琴凤云莲珍娟春兰金海林"
         "波斌鹏飞宇浩然子轩欣怡佳琪雨萱思涵梓晨一诺俊熙博文宏德福寿山水清泉松柏竹菊荣贵"
         "富成安康乐单长朝重行和发中正仁义礼智信忠孝悌勤俭朴实永恒远大鸿运昌盛兴旺家庭")


def build(path: Path, residents: int) -> dict[str, float]:
    from ledger.services import open_ledger
    from ledger.services.lookup import refill

    path.unlink(missing_ok=True)
    db = open_ledger(path)
    rnd = random.Random(2026)
    t0 = time.perf_counter()
    with db.atomic():
        db.execute("insert into townships (id, name) values (1, '青石镇')")
        db.conn.executemany("insert into villages (id, name, township_id, kind) values (?, ?, 1, '村')",
                            [(i, f"第{i}村") for i in range(1, 301)])
        rows = [(1, "张秀兰", 1, "13800000001"), (2, "单乐曾", 2, "13800000002")]
        for i in range(3, residents + 1):
            name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
            rows.append((i, name, rnd.randint(1, 300), f"13{rnd.randint(0, 999999999):09d}"))
        db.conn.executemany("insert into residents (id, name, village_id, phone, created_on) "
                            "values (?, ?, ?, ?, '2026-01-01')", rows)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.atomic():
        refill(db)
    keys_s = time.perf_counter() - t0
    keys = db.execute("select count(*) from name_keys").fetchone()[0]
    db.execute("ANALYZE")
    db.conn.close()
    return {"insert_s": built, "keys_s": keys_s, "keys": keys}


def timed(args: list[str], runs: int) -> tuple[float, int]:
    cmd = [str(ROOT / ".venv" / "bin" / "ledger"), *args]
    env = {**os.environ, "LEDGER_PAGER": "cat", "LEDGER_TODAY": "2026-11-17"}
    subprocess.run(cmd, capture_output=True, env=env)  # warm-up
    times, code = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        code = subprocess.run(cmd, capture_output=True, env=env).returncode
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, code


def in_process(path: Path, ref: str, n: int = 50) -> float:
    """The lookup alone (``Residents.get``), median of ``n``, in ms: what the load of a
    shared machine disturbs least."""
    from datetime import date

    from ledger.errors import LedgerError
    from ledger.services import Ledger, open_ledger

    L = Ledger(open_ledger(path), today=date(2026, 11, 17))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            L.residents.get(ref)
        except LedgerError:
            pass
        times.append(time.perf_counter() - t0)
    L.db.conn.close()
    return statistics.median(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--residents", type=int, default=200_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--reuse", action="store_true")
    a = p.parse_args()
    folder = Path("/tmp/ledger-bench")
    folder.mkdir(exist_ok=True)
    path = folder / "pinyin.db"
    if not (a.reuse and path.exists()):
        got = build(path, a.residents)
        print(f"{a.residents:,} residents inserted in {got['insert_s']:.1f} s; pinyin keys "
              f"({got['keys']:,}) filled in {got['keys_s']:.1f} s (the m016_lookup upgrade)")
    db = ["--db", str(path)]
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print("| operation | median (process) | exit | the lookup alone (median of 50) |")
    print("|---|---|---|---|")
    for title, args in (
            ("`ledger --help`", ["--help"]),
            ("`ledger resident show '#2'` (by number)", [*db, "resident", "show", "#2"]),
            ("`ledger resident show 单乐曾` (by name)", [*db, "resident", "show", "单乐曾"]),
            ("`ledger resident show shanlezeng` (full pinyin)", [*db, "resident", "show", "shanlezeng"]),
            ("`ledger resident show danyueceng` (other readings)", [*db, "resident", "show", "danyueceng"]),
            ("`ledger resident show shanlz` (mixed)", [*db, "resident", "show", "shanlz"]),
            ("`ledger resident show zxl` (initials, many: refused with candidates)", [*db, "resident", "show", "zxl"]),
            ("`ledger resident find zhangxiu --format json` (prefix, first 200)", [*db, "resident", "find", "zhangxiu", "--format", "json"]),
    ):
        ms, code = timed(args, a.runs)
        alone = f"{in_process(path, args[-1]):.2f} ms" if args[2:4] == ["resident", "show"] else ""
        print(f"| {title} | {ms:.1f} ms | {code} | {alone} |")


if __name__ == "__main__":
    main()
