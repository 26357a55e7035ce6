"""The files that go beside ledger.exe in the builds (packaging/files/) and the README's part
for the township's computer: their encodings and line ends as Windows reads them, every
command they show one the CLI takes, the quoting of the scheduled task, and the Linux script
that puts ledger on PATH, run for real."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import typer

from ledger.cli import app

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "packaging" / "files"
GUIDE = FILES / "使用说明.txt"
ADD_TO_PATH = FILES / "添加到PATH.cmd"
WEEKLY_TASK = FILES / "设置每周任务.cmd"
ADD_TO_PATH_SH = FILES / "添加到PATH.sh"
TASK = "民情台账周报"


# --- a command line the CLI takes --------------------------------------------------------------

def refusal(line: str) -> str | None:
    """Why ``ledger`` would refuse LINE (a word of the CLI it does not know, an option without
    its value, a group without a command, an argument missing), or None: the command line as
    the CLI's own parser reads it, without running anything."""
    words = shlex.split(line.replace("\\", "/"))
    assert words[0].split("/")[-1] in ("ledger", "ledger.exe"), line
    # typer builds its commands with the click it carries, so groups, options and arguments
    # are told apart by what they have, not by click's classes
    command = typer.main.get_command(app)
    positional: list[str] = []
    rest = words[1:]
    while rest:
        word = rest.pop(0)
        if word in ("--help", "-V", "--version"):
            return None
        if word.startswith("-"):
            name = word.split("=")[0]
            option = next((p for p in command.params if p.param_type_name == "option"
                           and name in p.opts + p.secondary_opts), None)
            if option is None:
                return f"{word}: no such option of {command.name}"
            if not option.is_flag and "=" not in word:
                if not rest:
                    return f"{word} wants a value"
                rest.pop(0)
        elif hasattr(command, "commands") and not positional:
            sub = command.commands.get(word)
            if sub is None:
                return f"{word}: no such command of {command.name}"
            command = sub
        else:
            positional.append(word)
    if hasattr(command, "commands"):
        return f"{command.name}: a command is missing"
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    required = sum(1 for a in arguments if a.required)
    unbounded = any(a.nargs == -1 for a in arguments)
    if len(positional) < required or (not unbounded and len(positional) > len(arguments)):
        return f"{command.name}: {len(positional)} arguments for {len(arguments)}"
    return None


def test_the_checker_refuses_what_the_cli_refuses() -> None:
    assert refusal("ledger check") is None and refusal("ledger.exe demo") is None
    assert refusal("ledger backup") is not None  # the file to back up to is required
    assert refusal("ledger issue") is not None
    assert refusal("ledger demo --no-such-thing") is not None
    assert refusal("ledger resident show 张秀兰 --unmask") is None


# --- 使用说明.txt --------------------------------------------------------------------------------

# Every command the guide shows, as it shows it.
GUIDE_COMMANDS = [
    "ledger.exe demo",
    ".\\ledger.exe demo",
    "ledger township add 本镇名称",
    "ledger --help",
    "ledger issue list --db D:\\台账\\青石镇.db",
    "ledger backup E:\\台账备份-2026-11-17.db",
    "ledger check",
    "ledger issue --help",
    "ledger --version",
]


def test_the_guide_is_what_notepad_on_windows_7_opens() -> None:
    raw = GUIDE.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Notepad before Windows 10 1903 needs the BOM
    assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n")
    text = raw.decode("utf-8-sig")
    assert len(text.splitlines()) <= 60
    for words in ("D:\\民情台账\\", "地址栏", "添加到PATH.cmd", "设置每周任务.cmd",
                  "%APPDATA%\\ledger\\ledger.db", "--db", "schtasks /delete /tn 民情台账周报 /f",
                  "升级", "ledger --help"):
        assert words in text, words


def test_every_command_in_the_guide_is_one_the_cli_takes() -> None:
    text = GUIDE.read_bytes().decode("utf-8-sig")
    for line in GUIDE_COMMANDS:
        assert line in text, line
        assert refusal(line) is None, (line, refusal(line))
    # and no other: each "ledger WORD" in the guide starts one of those
    shown = set(re.findall(r"ledger(?:\.exe)? ([-a-z]+)", text))
    listed = {line.split()[1] for line in GUIDE_COMMANDS}
    assert shown <= listed, shown - listed


# --- the .cmd files ---------------------------------------------------------------------------

CMD_FILES = [ADD_TO_PATH, WEEKLY_TASK]


@pytest.mark.parametrize("path", CMD_FILES, ids=lambda p: p.name)
def test_a_cmd_file_is_gbk_with_crlf_and_chinese_only_where_cmd_reads_it_as_936(path: Path) -> None:
    raw = path.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n")
    assert not raw.startswith(b"\xef\xbb\xbf")  # cmd.exe would run the BOM as a command
    lines = raw.decode("gbk").split("\r\n")
    assert lines[:4] == ["@echo off", "setlocal DisableDelayedExpansion",
                         'for /f "tokens=2 delims=:" %%c in (\'chcp\') do set "LEDGER_OLDCP=%%c"',
                         "chcp 936 >nul"]
    assert lines[-2].startswith("if defined LEDGER_OLDCP chcp ") and lines[-3] == "pause"
    for line in lines:
        if not line.isascii():
            assert line.startswith(("echo ", "rem ", 'set "TASK=')), line
            # no GBK character whose second byte is an ASCII character (| \ ^ @ ...)
            for ch in line:
                if not ch.isascii():
                    assert all(b >= 0x80 for b in ch.encode("gbk")), ch
        if line.startswith("echo ") and not line.isascii():
            # messages: no character cmd would act on outside a block (there is none)
            assert not set(line) & set("&|<>^%"), line
    # no ( ) blocks: a ) in a folder's name would end one
    assert not any(line.rstrip().endswith("(") or line.startswith(")") for line in lines)


def argv_of(command_line: str) -> list[str]:
    """A command line split as the C runtime (and CommandLineToArgvW) splits it, as
    schtasks.exe reads its own: backslashes before a quote escape it, in pairs."""
    args: list[str] = []
    current, quoted, i, started = "", False, 0, False
    while i < len(command_line):
        c = command_line[i]
        if c == "\\":
            n = len(command_line[i:]) - len(command_line[i:].lstrip("\\"))
            if i + n < len(command_line) and command_line[i + n] == '"':
                current += "\\" * (n // 2)
                if n % 2:
                    current += '"'
                    i += n + 1
                else:
                    i += n
                started = True
                continue
            current += "\\" * n
            i += n
            started = True
            continue
        if c == '"':
            if quoted and command_line[i + 1:i + 2] == '"':
                current += '"'
                i += 2
                continue
            quoted = not quoted
            started = True
        elif c in " \t" and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current += c
            started = True
        i += 1
    if started:
        args.append(current)
    return args


@pytest.mark.parametrize("folder", ["D:\\民情 台账\\ledger\\", "C:\\Users\\王 芳\\A&B (x86)\\ledger\\",
                                    "D:\\ledger\\"])
def test_the_task_runs_weekly_cmd_quoted_as_task_scheduler_needs_it(folder: str) -> None:
    lines = WEEKLY_TASK.read_bytes().decode("gbk").split("\r\n")
    assert f'set "TASK={TASK}"' in lines and 'set "HERE=%~dp0"' in lines
    # HERE is set while delayed expansion is off (a ! in the folder stays), and put in the
    # command by delayed expansion (after cmd has looked for & ( ) in the line).
    assert lines.index('set "HERE=%~dp0"') < lines.index("setlocal EnableDelayedExpansion")
    [create] = [line for line in lines if line.startswith("schtasks /create")]
    assert "%HERE%" not in create
    argv = argv_of(create.replace("!HERE!", folder).replace("!TASK!", TASK))
    assert argv[:5] == ["schtasks", "/create", "/tn", TASK, "/sc"]
    assert argv[argv.index("/sc"):argv.index("/tr")] == ["/sc", "weekly", "/d", "TUE", "/st", "08:30"]
    # what Task Scheduler stores: the whole path in quotes, one program however many spaces
    assert argv[argv.index("/tr") + 1] == f'"{folder}examples\\weekly.cmd"'
    assert argv[-1] == "/f" and "/ru" not in argv  # the current user's own task, no password
    text = "\r\n".join(lines)
    assert "schtasks /delete /tn !TASK! /f" in text and f"schtasks /delete /tn {TASK} /f" in text


def test_the_c_runtime_split_reads_the_usual_cases() -> None:
    assert argv_of('a "b c" d') == ["a", "b c", "d"]
    assert argv_of(r'/tr "\"D:\x y\w.cmd\"" /f') == ["/tr", '"D:\\x y\\w.cmd"', "/f"]
    assert argv_of(r'"a\\" b') == ["a\\", "b"]


def test_add_to_path_reads_and_writes_only_the_users_own_path() -> None:
    text = ADD_TO_PATH.read_bytes().decode("gbk")
    code = [line for line in text.split("\r\n") if not line.startswith("rem ")]
    body = "\n".join(code)
    assert "setx" not in body and "%PATH%" not in body
    assert 'set "LEDGER_HOME=%~dp0"' in code
    script = "".join(re.findall(r'^set "PS1=(?:%PS1%)?(.*)"$', body, re.M))
    # the PowerShell: the user's Path from HKCU\Environment as stored, compared without the
    # trailing backslash (PowerShell's -eq ignores case), written back with its type, then the
    # broadcast by [Environment]::SetEnvironmentVariable(..., 'User')
    for part in ("$env:LEDGER_HOME.TrimEnd('\\')", "CurrentUser.CreateSubKey('Environment')",
                 "GetValue('Path','',[Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)",
                 "if ($full -eq $d)", "exit 3", "$k.SetValue('Path',",
                 "[Microsoft.Win32.RegistryValueKind]$kind",
                 "[Environment]::SetEnvironmentVariable('LEDGER_PATH_BROADCAST', $null, 'User')"):
        assert part in script, part
    # inside cmd's double quotes: nothing cmd would expand or end the quotes on
    assert not set(script) & set('"%!'), set(script) & set('"%!')
    assert script.count("{") == script.count("}") and script.count("(") == script.count(")")
    assert ('powershell.exe" -NoProfile -ExecutionPolicy Bypass -Command "%PS1%"') in body
    assert "pause" in code


# --- 添加到PATH.sh, run ------------------------------------------------------------------------

def unpacked(tmp_path: Path, name: str = "民情 台账") -> Path:
    """A Linux folder as the build unpacks it: ledger (here a stand-in), examples/weekly.sh,
    添加到PATH.sh."""
    folder = tmp_path / name / "ledger"
    (folder / "examples").mkdir(parents=True)
    program = folder / "ledger"
    program.write_text('#!/bin/sh\necho "$0 $*" >> "$LEDGER_CALLS"\n', encoding="utf-8")
    program.chmod(0o755)
    shutil.copy(ROOT / "examples" / "weekly.sh", folder / "examples" / "weekly.sh")
    shutil.copy(ADD_TO_PATH_SH, folder / ADD_TO_PATH_SH.name)
    return folder


needs_sh = pytest.mark.skipif(shutil.which("sh") is None or os.name == "nt",
                              reason="needs a POSIX shell")


def test_add_to_path_sh_is_lf_and_executable() -> None:
    raw = ADD_TO_PATH_SH.read_bytes()
    assert b"\r" not in raw and raw.startswith(b"#!/bin/sh\n")
    if os.name != "nt":
        assert os.access(ADD_TO_PATH_SH, os.X_OK)


@needs_sh
def test_add_to_path_sh_links_ledger_into_local_bin_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    folder = unpacked(tmp_path)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}

    def run(script: Path, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", str(script)], env={**env, "PATH": path}, cwd="/",
                              capture_output=True, text=True, timeout=30)

    first = run(folder / "添加到PATH.sh")
    assert first.returncode == 0, first.stderr
    link = home / ".local" / "bin" / "ledger"
    assert link.is_symlink() and os.readlink(link) == str(folder.resolve() / "ledger")
    assert "注销后重新登录" in first.stdout  # ~/.local/bin was not on PATH
    profile = (home / ".profile").read_text(encoding="utf-8")
    assert profile.count(".local/bin:$PATH") == 1
    again = run(folder / "添加到PATH.sh", f"{home}/.local/bin:/usr/bin:/bin")
    assert again.returncode == 0 and "没有做任何修改" in again.stdout
    assert "直接输入 ledger" in again.stdout
    assert (home / ".profile").read_text(encoding="utf-8") == profile
    # a new version unpacked elsewhere takes the link over
    newer = unpacked(tmp_path, "新版本")
    third = run(newer / "添加到PATH.sh")
    assert third.returncode == 0 and os.readlink(link) == str(newer.resolve() / "ledger")
    # ~/.profile's own line for ~/.local/bin (Debian's, Ubuntu's) is left alone
    assert (home / ".profile").read_text(encoding="utf-8") == profile
    # and the link runs the folder's program
    calls = tmp_path / "calls"
    r = subprocess.run([str(link), "--help"], env={**env, "LEDGER_CALLS": str(calls)},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and calls.read_text(encoding="utf-8").endswith(" --help\n")


@needs_sh
def test_add_to_path_sh_refuses_outside_the_folder_and_a_file_in_the_links_place(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(ADD_TO_PATH_SH, lone / "添加到PATH.sh")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(["sh", str(lone / "添加到PATH.sh")], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "没有可运行的 ledger" in r.stderr
    (home / ".local" / "bin" / "ledger").write_text("mine", encoding="utf-8")
    folder = unpacked(tmp_path)
    r = subprocess.run(["sh", str(folder / "添加到PATH.sh")], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "不是链接" in r.stderr
    assert (home / ".local" / "bin" / "ledger").read_text(encoding="utf-8") == "mine"


# --- the README's part for the township's computer ----------------------------------------------

def test_the_readme_starts_with_the_township_computer_then_the_developers_route() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,3} .*$", readme, re.M)
    assert headings[:3] == ["## 在乡镇的电脑上", "### 县里的信息化人员", "## Two commands"]
    part = readme[readme.index("## 在乡镇的电脑上"):readme.index("## Two commands")]
    for words in ("ledger.exe demo", "添加到PATH.cmd", "设置每周任务.cmd",
                  "certutil -hashfile ledger-0.1.0-windows-x64.zip SHA256", "sha256sum -c SHA256SUMS",
                  "%APPDATA%\\ledger", "ledger check",
                  "tar xzf ledger-0.1.0-linux-x86_64.tar.gz; ./ledger/ledger demo",
                  "bash packaging/build.sh windows", "bash packaging/build.sh linux",
                  "bash packaging/smoke.sh dist/ledger-0.1.0-windows-x64.zip"):
        assert words in part, words
    for line in ("ledger.exe demo", "ledger check", "./ledger/ledger demo",
                 "ledger backup E:\\台账备份-2026-11-17.db"):
        assert line in part and refusal(line) is None, line
    layout = readme[readme.index("## Layout"):]
    assert "\npackaging/ " in layout


def test_the_readme_and_the_guide_name_the_version_of_the_package() -> None:
    from ledger import __version__

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    part = readme[readme.index("## 在乡镇的电脑上"):readme.index("## Two commands")]
    assert set(re.findall(r"ledger-(\d+\.\d+\.\d+)-", part)) == {__version__}
    assert f"版本 {__version__}" in GUIDE.read_bytes().decode("utf-8-sig")
