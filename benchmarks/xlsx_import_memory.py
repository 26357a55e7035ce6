#!/usr/bin/env python3
"""Peak memory of ``ledger import FILE.xlsx`` on a workbook that declares many rows.

    python benchmarks/xlsx_import_memory.py [--rows 1000 1048576] [--wide] [--dir DIR]

For each size N a workbook is made whose one sheet holds the header and declares N formatted
rows (``<row r=".." s="0" customFormat="1"/>``, ``<dimension ref="A1:C{N}"/>``, or
``A1:XFD{N}`` with ``--wide``): 2.5 MB on disk for 1,048,576 rows. ``ledger import`` reads it
into a small ledger in a child process whose peak resident memory is read from
``resource.getrusage(RUSAGE_CHILDREN)`` (the same figure as ``/usr/bin/time -v``'s "Maximum
resident set size"). The target (issue 24): at most 100 MiB for 1,048,576 declared rows,
whatever the sheet declares.

This is a benchmark tool, not part of the package; CI does not run it.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

TARGET_MIB = 100


def bomb(path: Path, rows: int, wide: bool = False) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["受理日期", "村/社区", "诉求内容"])
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    last = "XFD" if wide else "C"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode().replace('<dimension ref="A1:C1"/>',
                                             f'<dimension ref="A1:{last}{rows}"/>')
                fill = "".join(f'<row r="{r}" s="0" customFormat="1"/>'
                               for r in range(2, rows + 1))
                data = text.replace("</sheetData>", fill + "</sheetData>").encode()
            z.writestr(item, data)
    return path


def peak_of(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(peak MiB, seconds, exit code) of one child process (run alone: RUSAGE_CHILDREN is the
    largest child so far, so each size is measured in a fresh interpreter)."""
    code = ("import resource, subprocess, sys, time; t = time.monotonic(); "
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
            "time.monotonic() - t, r.returncode)")
    out = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    kib = int(out[0]) if sys.platform != "darwin" else int(out[0]) // 1024
    return kib / 1024, float(out[1]), int(out[2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 1_048_576])
    ap.add_argument("--wide", action="store_true", help="declare XFD (16,384 columns) too")
    ap.add_argument("--dir", type=Path)
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="ledger-xlsx-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LEDGER_TODAY": "2026-11-17", "LEDGER_PAGER": "cat"}
    ledger = [sys.executable, "-m", "ledger"]
    worst = 0.0
    for n in args.rows:
        db = folder / f"import-{n}.db"
        db.unlink(missing_ok=True)
        subprocess.run([*ledger, "--db", str(db), "township", "add", "青石镇"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        path = bomb(folder / f"declared-{n}.xlsx", n, args.wide)
        peak, seconds, code = peak_of([*ledger, "--db", str(db), "import", str(path)], env)
        worst = max(worst, peak)
        print(f"{n:>9,} declared rows ({path.stat().st_size / 2**20:.1f} MiB on disk): "
              f"peak {peak:6.1f} MiB, {seconds:5.1f} s, exit {code}", flush=True)
    print(f"target: at most {TARGET_MIB} MiB -> {'met' if worst <= TARGET_MIB else 'MISSED'}")


if __name__ == "__main__":
    start = time.monotonic()
    main()
