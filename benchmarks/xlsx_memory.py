#!/usr/bin/env python3
"""Peak memory (and time) of ``ledger export -o x.xlsx`` on a large ledger.

    python benchmarks/xlsx_memory.py --demands 20000 100000 [--dir /tmp/ledger-xlsx-bench]

For each size N, a county ledger of N demands is generated once by ``generate.py`` (kept in
``--dir``, regenerated when the generator changed), then ``ledger export demands -o FILE.xlsx``
is run in a child process whose peak resident memory is read as ``run.py`` reads it (GNU
time's %M, or a minimal wrapper's wait4 rusage); ``export -o FILE.csv`` is measured beside it
for comparison. With two sizes or more, the peak is fitted as a + b*N and extrapolated to a
million demands: the target is under 150 MiB (XlsxWriter's ``constant_memory`` mode writes
each row to disk as it goes, so the workbook's size does not stay in memory).

This is a benchmark tool, not part of the package; CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import fingerprint  # noqa: E402
from run import PEAK_BY, run_once  # noqa: E402

TODAY = "2026-11-17"
TARGET_MIB = 150
MILLION = 1_000_000


def ledger_of(folder: Path, n: int) -> Path:
    """The generated ledger of ``n`` demands, made when missing or made by another generator."""
    path = folder / f"county-{n}.db"
    meta = path.with_name(path.name + ".json")
    if path.exists() and meta.exists():
        if json.loads(meta.read_text(encoding="utf-8")).get("generator") == fingerprint():
            return path
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--demands", str(n), "--out",
                    str(path), "--force", "--check", "0"], check=True)
    return path


def program() -> str:
    here = Path(sys.executable).parent
    for name in ("ledger", "ledger.exe"):
        if (here / name).exists():
            return str(here / name)
    return "ledger"


def measure(sizes: list[int], folder: Path) -> dict:
    """For each size: the workbook's and the CSV's peak memory, time and file size; with two
    sizes or more, the fit a + b*N of the workbook's peak and its value at a million."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LEDGER_TODAY": TODAY, "LEDGER_PAGER": "cat"}
    points = []
    for n in sorted(sizes):
        db = ledger_of(folder, n)
        point = {"demands": n}
        for suffix in ("xlsx", "csv"):
            out = folder / f"export-{n}.{suffix}"
            out.unlink(missing_ok=True)
            run = run_once([program(), "--db", str(db), "export", "-o", str(out)], env=env)
            point[suffix] = {"peak": run.peak, "seconds": run.seconds,
                             "size": out.stat().st_size}
            out.unlink()
        points.append(point)
        x, c = point["xlsx"], point["csv"]
        print(f"{n:>9,} demands: export -o .xlsx peak {x['peak'] / 2**20:6.1f} MiB, "
              f"{x['seconds']:6.1f} s, file {x['size'] / 2**20:6.1f} MiB | "
              f".csv peak {c['peak'] / 2**20:6.1f} MiB, {c['seconds']:6.1f} s, "
              f"file {c['size'] / 2**20:6.1f} MiB", flush=True)
    result: dict = {"points": points, "target_mib": TARGET_MIB}
    if len(points) >= 2:
        (n0, p0), (n1, p1) = ((q["demands"], q["xlsx"]["peak"]) for q in (points[0], points[-1]))
        slope = (p1 - p0) / (n1 - n0)
        result.update(base=p0 - slope * n0, slope=slope, at_million=p1 + slope * (MILLION - n1))
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--demands", type=int, nargs="+", default=[20_000, 100_000])
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "ledger-xlsx-bench")
    args = p.parse_args(argv)
    print(f"peak memory by {PEAK_BY}")
    result = measure(args.demands, args.dir)
    if "slope" in result:
        at_million = result["at_million"]
        verdict = "under" if at_million < TARGET_MIB * 2**20 else "OVER"
        print(f"fit: {result['base'] / 2**20:.1f} MiB + {result['slope'] * 1000 / 2**10:.2f} KiB "
              f"per 1,000 demands; a million demands: about {at_million / 2**20:.0f} MiB "
              f"({verdict} the {TARGET_MIB} MiB target)")


if __name__ == "__main__":
    main()
