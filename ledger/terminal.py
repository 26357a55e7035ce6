"""What a clerk's terminal needs around the commands: one language throughout (click's own
words included), errors in one line, help in one language, the first screen, and the
global options accepted after the command as well as before it.

``LedgerGroup`` is the root command's class; its ``main`` runs every invocation, the
console script's and the tests' alike.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Sequence

# typer carries its own copy of click (typer._click), which its commands raise and format
# with: the root command works with that one.
from typer import _click as click
from typer._click import exceptions as click_exceptions
from typer import exceptions as typer_exceptions
from typer.core import TyperGroup

from .i18n import CLICK_MESSAGES, CLICK_WORDS, LANGS, t

# Options of the root command that a clerk may also type after the command (ledger issue
# list --today 2026-11-17). --db is not among them: `demo --db` means a file of its own.
_MOVABLE = ("--today", "--user", "--lang")
_MOVABLE_FLAGS = ("--no-pager", "--wide")


def lang_of(args: Sequence[str]) -> tuple[str, str | None]:
    """The language asked for (``--lang`` anywhere, else LEDGER_LANG, else zh), and the
    value typed when it is not one the ledger speaks."""
    value = None
    for i, token in enumerate(args):
        if token == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif token.startswith("--lang="):
            value = token.split("=", 1)[1]
    value = value if value is not None else os.environ.get("LEDGER_LANG")
    if not value:
        return "zh", None
    key = value.strip().lower().replace("_", "-")
    if key in ("zh", "zh-cn", "zh-hans", "cn", "中文"):
        return "zh", None
    if key in ("en", "en-us", "en-gb", "english"):
        return "en", None
    return "zh", value


def global_options_first(args: list[str]) -> list[str]:
    """``--today``, ``--user`` and ``--lang`` given after the command moved before it."""
    head: list[str] = []
    rest: list[str] = []
    command_seen = False
    i = 0
    while i < len(args):
        token = args[i]
        name = token.split("=", 1)[0]
        takes_value = "=" not in token and name in (*_MOVABLE, "--db")
        if token == "--":
            rest += args[i:]
            break
        if command_seen and token in _MOVABLE_FLAGS:
            head.append(token)
            i += 1
            continue
        if command_seen and name in _MOVABLE:
            head += args[i:i + (2 if takes_value else 1)]
        elif takes_value:
            rest += args[i:i + 2]  # the value is not the command
        else:
            command_seen = command_seen or not token.startswith("-")
            rest.append(token)
            i += 1
            continue
        i += 2 if takes_value else 1
    return head + rest if head else args


# --- click's own words ---------------------------------------------------------------------

_CLICK_MODULES = ("core", "exceptions", "types", "parser", "formatting", "decorators", "termui",
                  "utils")


def speak(lang: str) -> None:
    """Click's messages (usage, errors, help section titles) in ``lang``: click asks
    gettext for each of them; in Chinese they come from ``i18n.CLICK_WORDS``."""
    import importlib

    def gettext(message: str) -> str:
        return CLICK_WORDS.get(message, message) if lang == "zh" else message

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    for name in _CLICK_MODULES:
        module = importlib.import_module(f"typer._click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    import typer.core

    typer.core._ = gettext  # type: ignore[attr-defined]


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# Where the Chinese words end and the English begin: a space after Chinese (or its closing
# punctuation) and before a Latin letter, with no Chinese after it.
_BOUNDARY = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef)）”\]])\s+(?=[A-Za-z])")


def one_language(text: str | None, lang: str) -> str | None:
    """One language of a help text written in both: ``中文 || English``, or the Chinese
    words first and the English after them (``村/社区 Village``, ``新增镇/街道。 Add a
    township.``); a text in one language (``unit|township|village``) stays as it is, and
    click's and typer's own English is translated."""
    if not text:
        return text
    if lang == "zh" and text in CLICK_WORDS:
        return CLICK_WORDS[text]
    if "||" in text:
        zh, en = (part.strip() for part in text.split("||", 1))
        return zh if lang == "zh" else en
    lines = text.split("\n")
    for m in _BOUNDARY.finditer(lines[0]):
        if not _CJK.search(lines[0][m.end():]):
            lines[0] = lines[0][:m.start()] if lang == "zh" else lines[0][m.end():]
            break
    return "\n".join(lines)


def localize(command: click.Command, lang: str) -> None:
    """Every help text of ``command`` and below it in one language."""
    if getattr(command, "_ledger_lang", None) == lang:
        return
    command._ledger_lang = lang  # type: ignore[attr-defined]
    command.format_usage = _usage(command, lang)  # type: ignore[method-assign]
    command.get_help_option = _help_option(command, lang)  # type: ignore[method-assign]
    command.help = one_language(command.help, lang)
    command.short_help = one_language(command.short_help, lang)
    for param in command.params:  # options, and typer's arguments, carry help
        if getattr(param, "help", None):
            param.help = one_language(param.help, lang)  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        localize(sub, lang)


# --- the first screen and one-line errors --------------------------------------------------

def first_screen(lang: str) -> str:
    return t("screen.first", lang)


def own_console() -> bool:
    """Whether Windows made the console for this program alone, as it does when a clerk
    double-clicks ledger.exe in Explorer, and closes it the moment the program ends. From
    cmd or PowerShell the console is shared with the shell."""
    if not WINDOWS:
        return False
    try:
        import ctypes

        pids = (ctypes.c_uint32 * 2)()
        return ctypes.WinDLL("kernel32").GetConsoleProcessList(pids, 2) == 1
    except (OSError, AttributeError, ValueError):
        return False


def wait_before_closing(lang: str) -> None:
    """How to use a command-line program, and the window kept open until it is read."""
    click.echo("\n" + t("screen.double_click", lang))
    try:
        input()
    except (EOFError, KeyboardInterrupt, OSError):
        pass


def error_lines(e: click.ClickException, lang: str) -> list[str]:
    """A click error as a clerk reads it: one line (``usage.one_line``) and, for a mistyped
    command or option, the nearest names as a hint — never click's usage block."""
    from .usage import one_line

    possibilities = list(getattr(e, "possibilities", None) or [])
    # typer adds the nearest command names to the message itself, in English
    m = re.fullmatch(r"(.*?)\.? Did you mean (.+)\?", getattr(e, "message", "") or "", re.S)
    if m:
        e.message = m[1]
        possibilities += [name.strip(" '") for name in m[2].split(",")]
    if lang == "zh" and getattr(e, "message", None):
        e.message = _in_chinese(e.message)  # what one_line passes on as it stands
    lines = [one_line(e, lang)]
    if possibilities:
        sep = "、" if lang == "zh" else ", "
        lines.append(t("hint.did_you_mean", lang, names=sep.join(possibilities)))
    return lines


def _in_chinese(message: str) -> str:
    for pattern, zh in CLICK_MESSAGES:
        m = re.fullmatch(pattern, message, re.S)
        if m:
            return zh.format(**m.groupdict())
    return message


def _usage(command: Any, lang: str) -> Any:
    """``command.format_usage`` writing 用法 and the usage pieces in ``lang``."""
    words = (("[OPTIONS]", "[选项]"), ("COMMAND", "命令"), ("[ARGS]...", "[参数]..."))

    def format_usage(ctx: Any, formatter: Any) -> None:
        pieces = command.collect_usage_pieces(ctx)
        if lang == "zh":
            for en, zh in words:
                pieces = [p.replace(en, zh) for p in pieces]
        formatter.write_usage(ctx.command_path, " ".join(pieces),
                              prefix="用法:" if lang == "zh" else "Usage: ")

    return format_usage


def _help_option(command: Any, lang: str) -> Any:
    """``command.get_help_option`` with its help text in ``lang``."""
    original = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = original(ctx)
        if option is not None:
            option.help = one_language(option.help, lang)
        return option

    return get_help_option


def completion_ready() -> None:
    """typer's completion for bash, zsh, fish and PowerShell, loaded only when a shell asks
    for completions (or they are installed)."""
    from typer._completion_classes import completion_init

    completion_init()


class LedgerGroup(TyperGroup):
    """The root command: runs a whole invocation in the clerk's language."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if os.environ.get(complete_var or "_LEDGER_COMPLETE"):
            completion_ready()  # the shell asks for completions: typer answers it
            return super().main(argv, prog_name or "ledger", complete_var, standalone_mode,
                                windows_expand_args, **extra)
        lang, unknown = lang_of(argv)
        speak(lang)
        localize(self, lang)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode,
                                windows_expand_args, **extra)
        if unknown is not None:
            click.echo("错误:" + t("lang.unknown", "zh", value=unknown, choices=list(LANGS)),
                       err=True)
            sys.exit(2)
        if not argv:
            click.echo(first_screen(lang))
            if own_console():
                wait_before_closing(lang)
            sys.exit(0)
        try:
            rv = super().main(global_options_first(argv), prog_name or "ledger", complete_var,
                              False, windows_expand_args, **extra)
        except typer_exceptions.Abort:
            click.echo(("error: " if lang == "en" else "错误:") + t("interrupted", lang), err=True)
            sys.exit(130)
        except click.ClickException as e:
            for line in error_lines(e, lang):
                click.echo(line, err=True)
            sys.exit(e.exit_code)
        sys.exit(rv if isinstance(rv, int) else 0)


# --- the encoding of redirected output -----------------------------------------------------

WINDOWS = os.name == "nt"  # (a name, so that the tests can play Windows)
_GBK = ("gbk", "gb2312")  # codecs' names for cp936, Chinese Windows' code page, and its subset


def output_encoding(windows: bool, isatty: bool, encoding: str | None,
                    env: Any) -> str | None:
    """The encoding a standard stream is switched to at start-up, or None to leave it be.

    A console is left alone (on Windows Python writes to it in Unicode). Output going to a
    file or a pipe is written in ``LEDGER_ENCODING`` when set, for scripts that want UTF-8;
    else, with ``PYTHONIOENCODING`` set, as that says; else, on Windows in the GBK code page
    (cp936, Chinese Windows' ANSI code page, Python's choice for a redirected stream), in
    GB18030: GBK's superset, the same bytes for every GBK character, and a character
    outside GBK (𠇔, 䶮) kept instead of turned into '?'. Anything else, Linux included,
    as Python chose."""
    if isatty:
        return None
    forced = (env.get("LEDGER_ENCODING") or "").strip()
    if forced:
        return forced
    if not windows or env.get("PYTHONIOENCODING") or not encoding:
        return None
    import codecs  # (loaded by Python itself at start-up: no cost)

    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return "gb18030" if name in _GBK else None


def console_colours() -> None:
    """Colours that a Windows console shows as colours: Windows 10 and 11 interpret them
    once asked to (their consoles start with it off), an older console through colorama's
    translation into console calls. Without this the old cmd.exe prints ``←[1m`` before
    every heading."""
    try:
        from colorama import just_fix_windows_console
    except ImportError:  # colorama is installed with typer on Windows; without it, no colour
        os.environ.setdefault("NO_COLOR", "1")
        return
    just_fix_windows_console()


def prepare_streams(streams: Sequence[Any] | None = None, env: Any = None) -> None:
    """Standard output and error as a clerk's command writes them: a character the stream's
    encoding lacks becomes '?', never a crash, and the encoding is ``output_encoding``'s.
    An unknown ``LEDGER_ENCODING`` ends the command (exit 2) before anything is written."""
    if WINDOWS and streams is None and sys.stdout.isatty():
        console_colours()
    streams = (sys.stdout, sys.stderr) if streams is None else streams
    env = os.environ if env is None else env
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            isatty = stream.isatty()
        except (OSError, ValueError):
            isatty = False
        chosen = output_encoding(WINDOWS, isatty, getattr(stream, "encoding", None), env)
        try:
            if chosen:
                reconfigure(encoding=chosen, errors="replace")
            else:
                reconfigure(errors="replace")
        except LookupError:  # not a codec, or not one for text (base64, rot13 ...)
            lang, _ = lang_of(sys.argv[1:])
            reconfigure(errors="replace")
            sys.stderr.write(("error: " if lang == "en" else "错误:")
                             + t("encoding.unknown", lang, value=chosen) + "\n")
            sys.exit(2)


# --- the pager -----------------------------------------------------------------------------

def pager_command() -> list[str] | None:
    """LEDGER_PAGER if set (empty or ``cat``: none), else ``less -SR`` where it exists
    (long lines scroll sideways, colours kept), else none."""
    import shlex
    import shutil

    chosen = os.environ.get("LEDGER_PAGER")
    if chosen is not None:
        words = shlex.split(chosen, posix=os.name != "nt")
        return words if words and words[0] != "cat" else None
    less = shutil.which("less")
    return [less, "-SR"] if less else None


def page(text: str, allowed: bool = True) -> None:
    """Terminal output: through the pager when longer than the screen, else as it is."""
    import shutil
    import subprocess

    height = shutil.get_terminal_size().lines
    command = pager_command() if allowed else None
    if command is None or text.count("\n") < height - 1:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        subprocess.run(command, input=text.encode(sys.stdout.encoding or "utf-8", "replace"),
                       check=False)
    except OSError:  # the pager named cannot be run: show the text as it is
        sys.stdout.write(text)
        sys.stdout.flush()
