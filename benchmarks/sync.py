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
import tempfile
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


def peak_mib(*args: str) -> float:
    """One ledger command's peak resident memory, by GNU time (0 where there is none)."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        return 0.0
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        subprocess.run([str(gnu_time), "-f", "%M", "-o", out.name, *LEDGER, "--today",
                        TODAY.isoformat(), *args], check=True, stdout=subprocess.DEVNULL)
        return int(out.read().split()[-1]) / 1024


def chain_floor(bundle: Path, into: Path) -> None:
    """The floor of a first sync, in this process: what no import of the bundle can skip in
    Python. Every event is read, checked against the sender's chain, hashed into a new chain
    and written into an empty ledger's journal by the bulk path (the indexes and triggers a
    large load sets aside, built after), in one transaction. Nothing else: no registers,
    residents, visits, ids translated, replay, deadlines or demand rows."""
    import sqlite3

    sys.path.insert(0, str(REPO))
    from ledger.services import open_ledger
    from ledger.store.journal import GENESIS, INSERT, chain_hash

    into.unlink(missing_ok=True)
    open_ledger(into).close()
    src = sqlite3.connect(bundle)
    last_id, last_hash = None, None
    for r in src.execute("select id, 'demand', subject_id, action, on_date, actor, os_user, "
                         "reason, data, recorded_at, command, origin, origin_id, prev, hash "
                         "from events order by id"):
        prev = r[13] if r[13] is not None else last_hash
        if chain_hash(prev, r[:13]) != r[14]:
            raise SystemExit(f"row {r[0]}: not the sender's chain")
        last_id, last_hash = r[0], r[14]
    db = sqlite3.connect(into, isolation_level=None)
    db.execute("PRAGMA temp_store = FILE")
    db.execute("BEGIN IMMEDIATE")
    aside = db.execute("select type, name, sql from sqlite_master where tbl_name = 'journal' "
                       "and sql is not null and (type = 'index' or name = "
                       "'import_steps_of_import')").fetchall()
    for kind, name, _ in aside:
        db.execute(f'drop {kind} "{name}"')
    prev, n, out = GENESIS, 0, []
    for (subject_id, rid, action, on_date, actor, os_user, reason, data, recorded_at, origin,
         origin_id) in src.execute(
            "select subject_id, id, action, on_date, actor, os_user, reason, data, "
            "recorded_at, origin, origin_id from events order by subject_id, id"):
        n += 1
        origin, origin_id = origin or "sender", origin_id or rid
        prev = chain_hash(prev, (n, "demand", subject_id, action, on_date, actor, os_user,
                                 reason, data, recorded_at, 1, origin, origin_id))
        out.append((n, "demand", subject_id, action, on_date, actor, reason, data,
                    recorded_at, 1, os_user, origin, origin_id, prev))
        if len(out) >= 10_000:
            db.executemany(INSERT, out)
            out = []
    db.executemany(INSERT, out)
    for kind, _, sql in sorted(aside, key=lambda a: a[0] == "trigger"):
        db.execute(sql)
    db.execute("COMMIT")
    db.close()


def first_sync(n: int, keep: Path, runs: int) -> dict[str, float]:
    """A first full sync of an ``n``-demand township into a new county ledger, next to its
    floor (``chain_floor``), each a process, medians of ``runs``."""
    work = keep / "sync"
    work.mkdir(parents=True, exist_ok=True)
    town = generate(n, keep)
    bundle = work / "full.bundle"
    exports, imports, floors = [], [], []
    peak = 0.0
    for _ in range(runs):
        exports.append(run("--db", str(town), "sync", "export", "-o", str(bundle), "--force"))
        county = work / "county.db"
        fresh_county(county)
        imports.append(run("--db", str(county), "sync", "import", str(bundle)))
        fresh_county(county)
        peak = max(peak, peak_mib("--db", str(county), "sync", "import", str(bundle)))
        before_c = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--floor-of", str(bundle), "--floor-into",
                        str(work / "floor.db")], check=True)
        after_c = resource.getrusage(resource.RUSAGE_CHILDREN)
        floors.append((time.perf_counter() - t, (after_c.ru_utime - before_c.ru_utime)
                       + (after_c.ru_stime - before_c.ru_stime)))
    (ew, ec), (iw, ic), (fw, fc) = median(exports), median(imports), median(floors)
    events = sqlite_count(bundle)
    return {"demands": n, "events": events, "export_wall": ew, "export_cpu": ec,
            "import_wall": iw, "import_cpu": ic, "floor_wall": fw, "floor_cpu": fc,
            "peak_mib": peak, "bundle_mib": bundle.stat().st_size / 2**20}


def sqlite_count(bundle: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(bundle)
    try:
        return conn.execute("select count(*) from events").fetchone()[0]
    finally:
        conn.close()


def weekly(n: int, keep: Path, runs: int) -> dict[str, float]:
    """A week's bundle of an ``n``-demand township, already synced once, into its county."""
    work = keep / "sync"
    work.mkdir(parents=True, exist_ok=True)
    base = generate(n, keep)
    town = work / "weekly-town.db"
    shutil.copy(base, town)
    county = work / "weekly-county.db"
    fresh_county(county)
    for f in ("w0.bundle", "c0.bundle", "w1.bundle"):
        (work / f).unlink(missing_ok=True)
    run("--db", str(town), "sync", "export", "-o", str(work / "w0.bundle"))
    run("--db", str(county), "sync", "import", str(work / "w0.bundle"))
    # the county answers once, so the township knows it (and what it has received)
    run("--db", str(county), "sync", "export", "--to", "青石镇", "-o", str(work / "c0.bundle"))
    run("--db", str(town), "sync", "import", str(work / "c0.bundle"))
    events = a_week(town, 1)
    week = work / "w1.bundle"
    run("--db", str(town), "sync", "export", "--to", "县社工部", "-o", str(week))
    timings = []
    for _ in range(runs):
        copy = work / "weekly-county-copy.db"
        shutil.copy(county, copy)
        timings.append(run("--db", str(copy), "sync", "import", str(week)))
    w, c = median(timings)
    return {"demands": n, "events": events, "import_wall": w, "import_cpu": c}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demands", type=int, default=100_000)
    p.add_argument("--weekly", type=int, default=50_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", type=Path, default=Path("/tmp/ledger-bench"))
    p.add_argument("--weekly-only", action="store_true", help="skip the first full sync")
    p.add_argument("--floor-of", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--floor-into", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.floor_of:
        chain_floor(args.floor_of, args.floor_into)
        return
    args.keep.mkdir(parents=True, exist_ok=True)
    if not args.weekly_only:
        f = first_sync(args.demands, args.keep, args.runs)
        n = f["demands"]
        print(f"first full sync of {n:,} demands ({f['events']:,} events): export "
              f"{f['export_wall']:.1f} s (cpu {f['export_cpu']:.1f} s), import "
              f"{f['import_wall']:.1f} s (cpu {f['import_cpu']:.1f} s) = "
              f"{n / f['import_wall']:,.0f} demands/s wall, {n / f['import_cpu']:,.0f} "
              f"demands/s cpu, peak {f['peak_mib']:.0f} MiB; bundle {f['bundle_mib']:.0f} MiB")
        print(f"  floor (the events read, checked against the sender's chain, chained anew and "
              f"written into a journal by the bulk path, nothing else): {f['floor_wall']:.1f} s "
              f"(cpu {f['floor_cpu']:.1f} s) = {n / f['floor_wall']:,.0f} demands/s wall, "
              f"{n / f['floor_cpu']:,.0f} demands/s cpu; the import is "
              f"{f['import_cpu'] / f['floor_cpu']:.1f}x its floor (cpu)")
    w = weekly(args.weekly, args.keep, args.runs)
    print(f"weekly bundle of a {w['demands']:,}-demand township ({w['events']:,} new events): "
          f"import {w['import_wall']:.2f} s (cpu {w['import_cpu']:.2f} s)")


if __name__ == "__main__":
    main()
