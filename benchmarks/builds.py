"""The one-folder builds (issue 23), measured: each archive's size, each build's time, and
the start-up of the built program next to the venv install, side by side in one run.

    .venv/bin/python benchmarks/run.py --only builds     (called from run.py)

It builds both archives with ``bash packaging/build.sh linux|windows`` (timed), unpacks them
under the --keep folder, and times ``ledger --help`` and ``ledger due`` on the benchmark
ledger, each command of each side once a round, in turn:

* Linux: the build's ``ledger/ledger`` against the venv's ``ledger`` console script;
* Windows, under Wine: ``ledger.exe`` against the build's own embeddable CPython running
  the ledger from this checkout (the same interpreter, not frozen). Wine checks behaviour,
  not Windows' speed: these figures are Wine's, on this machine.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000
LINUX_TARGET = 1.3   # the Linux build starts within 1.3x of the venv install
WINDOWS_ZIP_MB = 40  # the Windows zip is under 40 MB


def version() -> str:
    text = (REPO / "ledger" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def build(target: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["bash", "packaging/build.sh", target], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def unpack(archive: Path, into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive, metadata_encoding="cp936") as z:
            z.extractall(into)
    else:
        with tarfile.open(archive) as t:
            t.extractall(into, filter="tar")
    return into / "ledger"


def rounds(jobs: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of each command, one run of each a round after a warm-up round.
    Output goes through pipes: Wine hands a Unix file to Windows as a handle CPython cannot
    use as standard output."""
    times: dict[str, list[float]] = {k: [] for k in jobs}
    for i in range(runs + 1):
        for label, cmd in jobs.items():
            t0 = time.perf_counter()
            p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True)
            seconds = time.perf_counter() - t0
            if p.returncode != 0:
                raise RuntimeError(f"exit {p.returncode}: {' '.join(cmd)}\n"
                                   + p.stderr.decode("utf-8", "replace")[-2000:])
            if i:
                times[label].append(seconds)
    return {k: statistics.median(v) for k, v in times.items()}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def figures(keep: Path, venv_ledger: str, db: Path, today: str, env: dict[str, str],
            runs: int, wine_runs: int) -> list[str]:
    """The page's section on the builds, as markdown lines (and printed as it goes)."""
    v = version()
    dist = REPO / "dist"
    built = {t: build(t) for t in ("linux", "windows")}
    for t, s in built.items():
        print(f"  build {t:<8} {s:6.1f} s", flush=True)
    archives = {"linux": dist / f"ledger-{v}-linux-x86_64.tar.gz",
                "windows": dist / f"ledger-{v}-windows-x64.zip"}
    sizes = {t: a.stat().st_size / MB for t, a in archives.items()}
    linux = unpack(archives["linux"], keep / "builds" / "linux")
    windows = unpack(archives["windows"], keep / "builds" / "windows")
    unpacked = {t: sum(p.stat().st_size for p in d.rglob("*") if p.is_file()) / MB
                for t, d in (("linux", linux), ("windows", windows))}

    base = ["--today", today, "--db", str(db)]
    lin = rounds({
        "venv --help": [venv_ledger, "--help"],
        "build --help": [str(linux / "ledger"), "--help"],
        "venv due": [venv_ledger, *base, "due"],
        "build due": [str(linux / "ledger"), *base, "due"],
    }, runs, env)

    wenv = {**env, "WINEPREFIX": str(REPO / "build" / "wine"), "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "mscoree,mshtml="}
    python_exe = REPO / "build" / "windows" / "python" / "python.exe"
    # The ledger of this checkout on the build's own CPython: its ._pth file ignores
    # PYTHONPATH, so the checkout is put on sys.path by the command itself.
    from_source = [ "wine", str(python_exe), "-c",
                   "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                   "from ledger.cli import main; main()", str(REPO)]
    wbase = ["--today", today, "--db", str(db)]
    win = rounds({
        "python --help": [*from_source, "--help"],
        "exe --help": ["wine", str(windows / "ledger.exe"), "--help"],
        "python due": [*from_source, *wbase, "due"],
        "exe due": ["wine", str(windows / "ledger.exe"), *wbase, "due"],
    }, wine_runs, wenv)
    subprocess.run(["wineserver", "-k"], env=wenv, check=False)

    ratio = {name: lin[f"build {name}"] / lin[f"venv {name}"] for name in ("--help", "due")}
    wratio = {name: win[f"exe {name}"] / win[f"python {name}"] for name in ("--help", "due")}
    for name in ("--help", "due"):
        print(f"  linux build {name:<7} {ms(lin[f'build {name}']):>8} venv {ms(lin[f'venv {name}']):>8}"
              f"  {ratio[name]:.2f}x   wine exe {ms(win[f'exe {name}']):>8} python "
              f"{ms(win[f'python {name}']):>8}  {wratio[name]:.2f}x", flush=True)
    met_lin = all(r <= LINUX_TARGET for r in ratio.values())
    met_zip = sizes["windows"] < WINDOWS_ZIP_MB
    yes = lambda ok: "yes" if ok else "**no**"  # noqa: E731
    return [
        "## The builds (issue 23)",
        "",
        "`benchmarks/builds.py`, called from here: both archives built by "
        "`bash packaging/build.sh linux|windows` in this run (timed), unpacked, and each "
        f"side's `ledger --help` and `ledger due` (on the ledger above, `--today {today}`) run "
        f"in turn, one run of each a round after a warm-up round; the median of {runs} rounds "
        f"on Linux, {wine_runs} under Wine.",
        "",
        "| build | archive | unpacked | built in | target | met? |",
        "|---|---:|---:|---:|---|---|",
        f"| Linux x86_64 (`{archives['linux'].name}`) | {sizes['linux']:.1f} MB | "
        f"{unpacked['linux']:.1f} MB | {built['linux']:.0f} s | - | - |",
        f"| Windows x64 (`{archives['windows'].name}`) | {sizes['windows']:.1f} MB | "
        f"{unpacked['windows']:.1f} MB | {built['windows']:.0f} s | < {WINDOWS_ZIP_MB} MB | "
        f"{yes(met_zip)} |",
        "",
        "| start-up | the build | beside it | ratio | target | met? |",
        "|---|---:|---:|---:|---|---|",
        *[f"| Linux: `ledger {name}` | {ms(lin[f'build {name}'])} | venv install "
          f"{ms(lin[f'venv {name}'])} | {ratio[name]:.2f}x | <= {LINUX_TARGET}x | "
          f"{yes(ratio[name] <= LINUX_TARGET)} |" for name in ("--help", "due")],
        *[f"| Windows under Wine: `ledger.exe {name}` | {ms(win[f'exe {name}'])} | the same "
          f"CPython from source {ms(win[f'python {name}'])} | {wratio[name]:.2f}x | - | "
          "(Wine: behaviour, not Windows' speed) |" for name in ("--help", "due")],
        "",
        *([] if met_lin and met_zip else ["Targets not met: "
           + "; ".join(([f"the Linux build starts in {max(ratio.values()):.2f}x the venv install"]
                        if not met_lin else [])
                       + ([f"the Windows zip is {sizes['windows']:.1f} MB"] if not met_zip else []))
           + ".", ""]),
    ]


if __name__ == "__main__":
    raise SystemExit("run it from benchmarks/run.py --only builds")
