#!/usr/bin/env python3
"""Benchmark the sync between ledgers (issue 13): a first full sync, and a weekly bundle.

    python benchmarks/sync.py [--demands 100000] [--weekly 50000] [--keep /tmp/ledger-bench]

1. A township ledger of N demands (benchmarks/generate.py) is written to a full bundle
   (`ledger sync export`), which a new county ledger takes in (`ledger sync import`):
   demands per second of the import, with their journals.
2. A township ledger of W demands is synced to a county once; then a week of work is
   recorded in the township (new demands, steps on open ones: a few thousand events) and its
   bundle `--to` the county is timed on import.

Each command is a real `ledger` process; wall and CPU (user + system) times are printed, the
median of ``--runs``. Generated ledgers are kept in ``--keep`` and reused.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LEDGER = [str(Path(sys.executable).parent / "ledger")]  # the venv's console script
TODAY = date(2026, 11, 17)


def run(*args: str) -> tuple[float, float]:
    """One ledger command: its wall time and its CPU time (children's user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([*LEDGER, "--today", TODAY.isoformat(), *args], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def generate(n: int, keep: Path) -> Path:
    path = keep / f"township-{n}.db"
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--demands",
                        str(n), "--out", str(path), "--check", "20"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([*LEDGER, "--db", str(path), "sync", "name", "青石镇"], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def fresh_county(path: Path) -> None:
    path.unlink(missing_ok=True)
    subprocess.run([*LEDGER, "--db", str(path), "sync", "name", "县社工部"], check=True,
                   stdout=subprocess.DEVNULL)


def a_week(path: Path, seed: int) -> int:
    """A week of a township's work after TODAY: new demands and steps on open ones."""
    sys.path.insert(0, str(REPO))
    from ledger.services import Ledger, open_ledger

    rnd = random.Random(seed)
    day = TODAY + timedelta(days=7)
    L = Ledger(open_ledger(path), today=day, user="文书", now=f"{day}T17:00:00+08:00")
    villages = L.registers.names("select id from villages order by id")
    events = 0
    with L.db.atomic():
        for i in range(1500):
            number = L.demands.accept(f"第{i}件:路灯不亮,请尽快维修", village_id=rnd.choice(villages),
                                      grid_id=None, resident_id=None, visit_id=None,
                                      channel=None, on=day.isoformat())
            L.demands.classify(number, category="基础设施", on=day.isoformat())
            events += 2
            if i % 2:
                L.demands.settle(number, result="当场报修", on=day.isoformat())
                events += 1
        for (number,) in L.db.execute("select number from demands where status = 'open' "
                                      "and origin_ledger is null limit 800").fetchall():
            L.demands.notify(number, text="已联系责任单位,正在办理", on=day.isoformat())
            events += 1
    L.db.close()
    return events


def median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demands", type=int, default=100_000)
    p.add_argument("--weekly", type=int, default=50_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", type=Path, default=Path("/tmp/ledger-bench"))
    p.add_argument("--weekly-only", action="store_true", help="skip the first full sync")
    args = p.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    work = args.keep / "sync"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()

    town = generate(args.demands, args.keep)
    bundle = work / "full.bundle"
    exports, imports = [], []
    for _ in range(0 if args.weekly_only else args.runs):
        exports.append(run("--db", str(town), "sync", "export", "-o", str(bundle), "--force"))
        county = work / "county.db"
        fresh_county(county)
        imports.append(run("--db", str(county), "sync", "import", str(bundle)))
    n = args.demands
    if imports:
        (ew, ec), (iw, ic) = median(exports), median(imports)
        print(f"first full sync of {n:,} demands: export {ew:.1f} s (cpu {ec:.1f} s), "
              f"import {iw:.1f} s (cpu {ic:.1f} s) = {n / iw:,.0f} demands/s wall, "
              f"{n / ic:,.0f} demands/s cpu; bundle {bundle.stat().st_size / 2**20:.0f} MiB")

    weekly = generate(args.weekly, args.keep)
    town = work / "weekly-town.db"
    shutil.copy(weekly, town)
    county = work / "weekly-county.db"
    fresh_county(county)
    run("--db", str(town), "sync", "export", "-o", str(work / "w0.bundle"))
    run("--db", str(county), "sync", "import", str(work / "w0.bundle"))
    # the county answers once, so the township knows it (and what it has received)
    run("--db", str(county), "sync", "export", "--to", "青石镇", "-o", str(work / "c0.bundle"))
    run("--db", str(town), "sync", "import", str(work / "c0.bundle"))
    events = a_week(town, 1)
    week = work / "w1.bundle"
    run("--db", str(town), "sync", "export", "--to", "县社工部", "-o", str(week))
    timings = []
    for _ in range(args.runs):
        copy = work / "weekly-county-copy.db"
        shutil.copy(county, copy)
        timings.append(run("--db", str(copy), "sync", "import", str(week)))
    w, c = median(timings)
    print(f"weekly bundle of a {args.weekly:,}-demand township ({events:,} new events): "
          f"import {w:.2f} s (cpu {c:.2f} s)")


if __name__ == "__main__":
    main()
