"""Lay out the clerk's folder around a PyInstaller build and pack it, the same bytes every
time for the same inputs (packaging/build.sh calls it):

    python packaging/archive.py windows|linux BUILT_FOLDER DIST_DIR

The folder holds the program, the weekly scripts, the demo township, the notices' templates,
使用说明.txt, the PATH script and SHA256SUMS (every file of the folder); DIST_DIR gets
``ledger-VERSION-windows-x64.zip`` or ``ledger-VERSION-linux-x86_64.tar.gz`` and a
SHA256SUMS of the archives there.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import struct
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "packaging" / "files"

# What goes beside the program: (source, path inside the folder).
COMMON = [
    (ROOT / "examples" / "township.toml", "examples/township.toml"),
    (FILES / "使用说明.txt", "使用说明.txt"),
] + [(p, f"templates/{p.name}") for p in sorted((ROOT / "ledger" / "templates").glob("*.docx"))]
EXTRA = {
    "windows": [
        (ROOT / "examples" / "weekly.cmd", "examples/weekly.cmd"),
        (ROOT / "examples" / "weekly.ps1", "examples/weekly.ps1"),
        (FILES / "添加到PATH.cmd", "添加到PATH.cmd"),
        (FILES / "设置每周任务.cmd", "设置每周任务.cmd"),
    ],
    "linux": [
        (ROOT / "examples" / "weekly.sh", "examples/weekly.sh"),
        (FILES / "添加到PATH.sh", "添加到PATH.sh"),
    ],
}
ARCHIVE = {"windows": "ledger-{v}-windows-x64.zip", "linux": "ledger-{v}-linux-x86_64.tar.gz"}
EXECUTABLE = re.compile(r"(^ledger$|\.sh$|\.so(\.|$))")


def version() -> str:
    text = (ROOT / "ledger" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def epoch() -> int:
    """SOURCE_DATE_EPOCH (build.sh sets the commit's time), else a fixed day: an archive's
    dates must not depend on when it was built. Zip dates start in 1980."""
    return max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)


def lay_out(target: str, folder: Path) -> None:
    for source, name in COMMON + EXTRA[target]:
        if not source.is_file():
            sys.exit(f"archive: {source} is missing")
        dest = folder / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        if name.endswith(".sh"):
            dest.chmod(0o755)
    sums = folder / "SHA256SUMS"
    sums.unlink(missing_ok=True)
    lines = [f"{sha256(path)}  {rel}" for rel, path in walk(folder)]
    sums.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def walk(folder: Path) -> list[tuple[str, Path]]:
    """Every file under ``folder``, by its path inside it with forward slashes, sorted."""
    out = [(p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file()]
    return sorted(out)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Cp936Name(zipfile.ZipInfo):
    """A member whose name is stored in the Chinese code page, with its UTF-8 form in the
    Info-ZIP Unicode Path field (0x7075). Windows' own 解压 (Explorer) reads names in the
    system's code page and ignores the UTF-8 flag: 使用说明.txt would unpack as mojibake.
    7-Zip, unzip and the rest read the Unicode field."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        try:
            return self.filename.encode("ascii"), self.flag_bits
        except UnicodeEncodeError:
            return self.filename.encode("cp936"), self.flag_bits


def _zip_info(name: str, when: tuple[int, ...], mode: int) -> zipfile.ZipInfo:
    info = _Cp936Name(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0  # MS-DOS: Windows reads the attributes below
    info.external_attr = (mode << 16) | (0x10 if name.endswith("/") else 0x20)
    if not name.isascii():
        legacy = name.encode("cp936")
        body = struct.pack("<BI", 1, zlib.crc32(legacy)) + name.encode("utf-8")
        info.extra = struct.pack("<HH", 0x7075, len(body)) + body
    return info


def pack_zip(folder: Path, out: Path) -> None:
    import time

    when = time.gmtime(epoch())[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for rel, path in walk(folder):
            info = _zip_info(f"{folder.name}/{rel}", when, 0o644)
            with open(path, "rb") as f:
                z.writestr(info, f.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def pack_tar(folder: Path, out: Path) -> None:
    stamp = epoch()

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = stamp
        if info.isdir():
            info.mode = 0o755
        else:
            info.mode = 0o755 if EXECUTABLE.search(Path(info.name).name) else 0o644
        return info

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(folder, arcname=folder.name, recursive=False, filter=clean)
        dirs = sorted({p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir()})
        for rel in sorted(dirs + [rel for rel, _ in walk(folder)]):
            tar.add(folder / rel, arcname=f"{folder.name}/{rel}", recursive=False, filter=clean)
    with open(out, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=stamp,
                                             compresslevel=9) as gz:
        gz.write(raw.getvalue())


def main() -> None:
    target, built, dist = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if target not in ARCHIVE:
        sys.exit(f"archive: the target is windows or linux, not {target}")
    lay_out(target, built)
    dist.mkdir(parents=True, exist_ok=True)
    out = dist / ARCHIVE[target].format(v=version())
    tmp = out.with_name(out.name + ".tmp")
    (pack_zip if target == "windows" else pack_tar)(built, tmp)
    os.replace(tmp, out)
    sums = dist / "SHA256SUMS"
    lines = {}
    if sums.is_file():
        for line in sums.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if (dist / name).is_file() and name != out.name:
                lines[name] = digest
    lines[out.name] = sha256(out)
    sums.write_text("".join(f"{d}  {n}\n" for n, d in sorted(lines.items())), encoding="utf-8")
    print(f"{out}  {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
