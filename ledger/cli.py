"""The ``ledger`` command line: the entry point, the session, and the one error map.

The commands themselves live in ``ledger/commands/``, one module per group; each is thin:
parse, open the ledger, make one service call, render. This module holds what they share:

* the root app and its callback, which reads the options given before the command
  (``--lang --today --user --db``) into a ``Session``, stored as the context object
  (``ctx.obj``) that every command takes from its ``typer.Context``;
* the one error map (``guarded``), applied here to every command registered: a
  ``LedgerError`` becomes one line (and any lines added to it as notes) and its exit code,
  a SQLite error exit 1, an interrupt exit 130; the ledgers a command opened are closed
  however it ends;
* ``_app_for``, which trims the app to the one command being run, and ``main``.

Only this module reads the clock, and ``--today`` (or ``LEDGER_TODAY``) pins it. Heavy
modules are imported inside the commands that need them, so ``ledger --help`` stays quick.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterable, Iterator, Optional

import typer

from .terminal import LedgerGroup

if TYPE_CHECKING:
    from .services import Ledger

HELP = """民情走访台账:走访、一人一账、诉求办理全过程。

台账文件:--db PATH,或环境变量 LEDGER_DB,或用户应用目录下的 ledger.db。
语言:默认中文,--lang en 或 LEDGER_LANG=en 为英文。
|| The township visit-and-demand ledger: visits, one page per resident, every demand's
handling.

Ledger file: --db PATH, or LEDGER_DB, or ledger.db in your application folder.
Language: Chinese by default; --lang en or LEDGER_LANG=en for English."""

# No arguments: LedgerGroup prints the first screen (no_args_is_help would print all help).
app = typer.Typer(name="ledger", help=HELP, no_args_is_help=False, add_completion=False,
                  pretty_exceptions_enable=False, rich_markup_mode=None, cls=LedgerGroup)


# --- the session ---------------------------------------------------------------------------

class Session:
    """One run of ``ledger``: the options given before the command (``ledger --today D issue
    list``), where the output goes, and the ledgers the command opened, closed when it ends.

    The root callback creates it as the context object; a command reads it from its context
    (``s: Session = ctx.obj``) and writes everything it shows through it. (A plain class:
    ``dataclasses`` would cost every start-up its import.)
    """

    def __init__(self) -> None:
        self.lang = "zh"
        self.today: date | None = None
        self.user = ""
        self.os_user = ""  # the operating-system account running the command
        self.db: Path | None = None  # --db before the command
        self.plain = True  # not a terminal: no colour, no box drawing
        self.output: Any = None  # a text stream the command writes to instead of stdout
        self.opened: list[Any] = []  # ledger databases this command opened
        self.pager = True  # page long output on a terminal (--no-pager: never)
        self.screen: list[str] | None = None  # a terminal's output, kept to page it
        self.notes: list[str] = []  # warnings about that output, shown after it
        self.created: list[Path] = []  # ledger files this command created

    # --- the ledger --------------------------------------------------------------------------

    def day(self) -> date:
        """Today, unless ``--today`` pinned it."""
        return self.today or date.today()

    def resolve(self, db: Path | None) -> Path:
        """The ledger file: --db after the command, else --db before it, else $LEDGER_DB,
        else the app folder."""
        from .store import resolve_path

        return resolve_path(db or self.db)

    def ledger(self, db: Path | None, create: bool = False) -> "Ledger":
        """The ledger opened for this command (closed when the command ends). Only a
        command that sets up a ledger (``create``: township add ...) starts a new file; any
        other refuses a path where there is none, and creates nothing."""
        from datetime import datetime

        from .errors import LedgerFileError
        from .services import Ledger, open_ledger

        now = datetime.now().astimezone().isoformat(timespec="seconds")
        path = self.resolve(db)
        try:
            folder, there = path.parent.is_dir(), path.exists()
        except OSError as e:  # a name too long, say: told as the file's own line
            from .store import path_error

            raise path_error(e, path) from None
        if (db or self.db or os.environ.get("LEDGER_DB")) and not folder:
            # A mistyped folder must not quietly start a new, empty ledger somewhere else.
            raise LedgerFileError("file.no_folder", path=str(path), folder=str(path.parent))
        if not there:
            if not create:
                raise LedgerFileError("file.no_ledger", path=str(path))
            self.created.append(path)
        ledger = Ledger(open_ledger(path), today=self.day(), user=self.user or "", now=now,
                        os_user=self.os_user or None)
        self.opened.append(ledger.db)
        return ledger

    def close(self) -> None:
        """Fold the write-ahead log into each ledger file and close it: after every command
        the file itself holds everything, and a refused command leaves it byte for byte as
        it was."""
        while self.opened:
            self.opened.pop().close()
        self.flush()

    def flush(self) -> None:
        """What was kept for a terminal, shown: through the pager when it is longer than
        the screen, as git does."""
        if self.screen:
            from .terminal import page

            page("".join(self.screen), self.pager)
        self.screen = None
        for note in self.notes:
            typer.echo(note, err=True)
        self.notes = []

    def discard_created(self) -> None:
        """A command leaves no ledger file it created with nothing recorded in it: a
        refusal, or a dry run, creates no file."""
        from .store import discard_if_unused

        self.close()
        while self.created:
            discard_if_unused(self.created.pop())

    # --- words -------------------------------------------------------------------------------

    def t(self, key: str, **params: Any) -> str:
        from .i18n import t

        return t(key, self.lang, **params)

    def echo(self, text: str, nl: bool = True) -> None:
        if self._on_screen():
            self.screen.append(text + ("\n" if nl else ""))  # type: ignore[union-attr]
            return
        typer.echo(text, nl=nl, file=self.output)

    def _on_screen(self) -> bool:
        """Output for a terminal (not a file, a pipe or --output): kept to be paged."""
        if self.output is not None or self.plain:
            return False
        if self.screen is None:
            self.screen = []
        return True

    def say(self, key: str, **params: Any) -> None:
        """A message of the command's own output."""
        self.echo(self.t(key, **params))

    def warn(self, text: str) -> None:
        """A line for the clerk on standard error, beside the output (on a terminal, after
        the output it is about, which is shown when the command ends)."""
        if self.screen is not None:
            self.notes.append(text)
            return
        typer.echo(text, err=True)

    def error_line(self, message: str) -> str:
        return ("error: " if self.lang == "en" else "错误:") + message

    def fail(self, message: str, code: int, more: Iterable[str] = ()) -> None:
        """End the command: one line (and any further lines) on standard error, the exit code."""
        self.flush()
        self.warn(self.error_line(message))
        for line in more:
            self.warn(line)
        raise typer.Exit(code)

    # --- tables and formats ----------------------------------------------------------------

    def render(self) -> Any:
        """The rendering module, set for a terminal or for a file before any table is built."""
        from . import render

        render.set_plain(self.plain)
        return render

    def print(self, *renderables: Any) -> None:
        if self.plain:
            from .render import plain_text

            texts = [plain_text(r) for r in renderables]
            if all(text is not None for text in texts):
                self.echo("\n".join(texts))  # type: ignore[arg-type]
                return
        console = self._console()
        if self._on_screen():
            with console.capture() as captured:
                console.print(*renderables)
            self.screen.append(captured.get())  # type: ignore[union-attr]
            return
        console.print(*renderables)

    def _console(self) -> Any:
        from rich.console import Console

        # User text is never read as emoji codes; numbers are not coloured at random.
        if self.output is None and sys.stdout.isatty():
            from . import render

            # --wide: every column at its own width; the pager (less -S) scrolls sideways.
            return Console(emoji=False, highlight=False, width=400 if render.WIDE else None)
        # Not a terminal (a file, a pipe, a test): no colour, and wide enough that Chinese
        # tables are not folded at 80 columns.
        return Console(file=self.output, width=200, no_color=True, highlight=False,
                       soft_wrap=False, emoji=False)

    def emit_json(self, payload: Any) -> None:
        import json

        self.echo(json.dumps(payload, ensure_ascii=False, indent=2))

    def emit_csv(self, rows: Iterable[dict[str, Any]], keys: Iterable[str]) -> None:
        """Rows as CSV under the English ``keys``, every cell escaped as ``ledger export``
        escapes it (``ledger.io.csvformat``)."""
        import io

        from .io.csvformat import write_rows

        out = io.StringIO()
        write_rows(out, list(keys), rows)
        self.echo(out.getvalue(), nl=False)

    @contextlib.contextmanager
    def output_to(self, path: Path | None, fmt: str, *, force: bool = False,
                  private: bool = False, db: Path | None = None) -> Iterator[None]:
        """``--output FILE``: the command's output goes to FILE, written whole or not at
        all, by the rules of every output (``ledger.io.files``: never over an existing file
        without ``force``, never over anything but a regular file nor the ledger ``db``,
        readable by its owner only when ``private``); ``-`` is standard output.

        Text and CSV get a UTF-8 BOM so that Notepad and Excel on Chinese Windows open them
        correctly; JSON is plain UTF-8.
        """
        if path is None:  # (ledger.io.files is not needed at all then)
            yield
            return
        from .io.files import atomic_write, check_target, is_stdout

        if is_stdout(path):
            yield
            return
        import io

        keep = [self.resolve(db)]
        check_target(path, force=force, keep=keep)  # refused before the work is done
        self.output, self.plain = io.StringIO(), True
        try:
            yield
            text = self.output.getvalue()
        finally:
            self.output = None
        with atomic_write(path, encoding="utf-8" if fmt == "json" else "utf-8-sig",
                          force=force, private=private, keep=keep) as out:
            out.write(text)


# --- the one error map ---------------------------------------------------------------------

def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (a command, or the root callback) with every error it can meet turned into
    what a clerk sees: a ``LedgerError`` its message in one line, then any notes added to it
    (``add_note``: an import's problems, say), and its exit code; an SQLite error the
    ledger file that could not be read, exit 1; Ctrl-C exit 130. The ledgers the command
    opened are closed however it ends."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            _interrupt_handled()
            s = _session(kwargs)
            s.discard_created()
            s.fail(s.t("interrupted"), 130)
        except Exception as e:
            import sqlite3  # here, not at start-up: ledger --help never opens a file

            from .errors import LedgerError

            s = _session(kwargs)
            s.discard_created()
            if isinstance(e, LedgerError):
                s.fail(e.message(s.lang), e.exit_code, getattr(e, "__notes__", ()))
            if isinstance(e, sqlite3.Error):
                from .store import file_error

                err = file_error(e, s.resolve(kwargs.get("db")))
                s.fail(err.message(s.lang), err.exit_code)
            raise
        finally:
            _session(kwargs).discard_created()

    return run


def _interrupt_handled() -> None:
    """Tell CPython the interruption was handled. An interruption that lands inside code
    run from a string (a dataclass's generated methods, made while a module is imported)
    leaves CPython's flag of an unhandled KeyboardInterrupt set, even once caught, and the
    process would end killed by SIGINT (-2) instead of with exit 130; running any string
    clears the flag."""
    exec("")


def _session(kwargs: dict[str, Any]) -> Session:
    """The session of the command called with ``kwargs``: every command takes its context
    as ``ctx`` (typer passes a click context, of which ``typer.Context`` is a subclass for
    annotations only, so it is found by name)."""
    ctx = kwargs.get("ctx")
    return ctx.ensure_object(Session) if ctx is not None else Session()


# --- the root callback: the options before the command --------------------------------------

def _install_completion(value: bool) -> None:
    # typer's own --install-completion costs every command ~50 ms at start-up: this one
    # loads the completion code only when asked.
    if value:
        from typer._completion_shared import install

        from .terminal import completion_ready

        completion_ready()
        shell, path = install(prog_name="ledger")
        typer.echo(f"{shell}: {path}")
        raise typer.Exit(0)


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"ledger {__version__}")
        raise typer.Exit(0)


def main_options(
    ctx: typer.Context,
    lang: Annotated[Optional[str], typer.Option(
        "--lang", envvar="LEDGER_LANG", help="zh(默认)或 en || zh (the default) or en")] = None,
    today: Annotated[Optional[str], typer.Option(
        "--today", envvar="LEDGER_TODAY", help="把“今天”固定为某日(脚本、测试用) || Pin today's date (scripts, tests)")] = None,
    user: Annotated[Optional[str], typer.Option(
        "--user", envvar="LEDGER_USER", help="经办人(默认:登录名) || Who is recording (default: login name)")] = None,
    db: Annotated[Optional[Path], typer.Option(
        "--db", dir_okay=False, help="台账文件(默认:$LEDGER_DB 或用户应用目录) || Ledger file (default: $LEDGER_DB, or the app folder)")] = None,
    no_pager: Annotated[bool, typer.Option(
        "--no-pager", help="长输出也不分页 || Never page long output (also: LEDGER_PAGER=cat)")] = False,
    wide: Annotated[bool, typer.Option(
        "--wide", help="表格显示全部列,不按终端宽度省略 || Show every column, however wide")] = False,
    version: Annotated[bool, typer.Option(
        "--version", "-V", is_eager=True, callback=_print_version,
        help="显示版本 || Show the version")] = False,
    install_completion: Annotated[bool, typer.Option(
        "--install-completion", is_eager=True, callback=_install_completion,
        help="为当前 shell(bash、zsh、fish、PowerShell)安装命令补全 || Install tab completion for the current shell (bash, zsh, fish, PowerShell)")] = False,
) -> None:
    from .i18n import current_lang

    s = ctx.ensure_object(Session)
    s.lang = current_lang(lang)
    s.today = None
    if today:
        from .deadlines import parse_date

        s.today = parse_date(today)
    s.os_user = _os_account()
    s.user = user or _login_name() or s.os_user
    s.db = db
    s.plain = not sys.stdout.isatty()
    s.pager = not no_pager
    if wide:
        from . import render

        render.WIDE = True


def _login_name() -> str:
    """The login name (LOGNAME, USER, LNAME or USERNAME, as ``getpass`` reads them), or ""
    when there is none: with none of them set, getpass asks the account database, which
    Windows lacks (OSError from Python 3.13, ImportError before), and a container's user
    may not be in it (KeyError, OSError). The caller falls back to the account's name."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return ""


def _os_account() -> str:
    """The operating-system account this process runs under, as the system knows it (not
    $USER or $LOGNAME, which anyone can set): recorded with every journal row."""
    try:
        if os.name == "posix":
            import pwd

            return pwd.getpwuid(os.geteuid()).pw_name
        return os.getlogin()  # Windows: the account of the session (GetUserNameW)
    except Exception:
        return ""


app.callback()(guarded(main_options))


# --- the commands ------------------------------------------------------------------------
# In the order of `ledger --help`: the commands of the top level, then the groups.


from .commands import (  # noqa: E402
    coverage, data, deadlines, demo, docs, issues, meetings, places, reports, residents, sync,
    visits,
)

for _module in (deadlines, reports, coverage, data, demo):
    app.registered_commands.extend(_module.commands.registered_commands)
for _module in (places, residents, visits, issues, meetings, deadlines, reports, coverage,
                sync, docs):
    for _name, _group in _module.GROUPS:
        app.add_typer(_group, name=_name)


def _every_command(group: typer.Typer) -> Iterator[Any]:
    """The commands of ``group`` and of its groups, however deep (``doc template list``)."""
    yield from group.registered_commands
    for g in group.registered_groups:
        yield from _every_command(g.typer_instance)


for _info in _every_command(app):
    _info.callback = guarded(_info.callback)


# --- the console entry -------------------------------------------------------------------

_VALUE_OPTIONS = ("--lang", "--today", "--user", "--db")


def _app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command being run registered.

    Typer builds every registered command's parameters on each call; a clerk's command needs
    just its own. Help, unknown commands and anything unusual get the whole app.
    """
    import copy

    words, skip = [], False
    for token in argv:
        if skip:
            skip = False
        elif token in _VALUE_OPTIONS:
            skip = True
        elif token.startswith("-"):
            if token in ("--help", "-h") or "=" in token:
                return app
            if words:
                break  # the command's own options begin
        else:
            words.append(token)
            if len(words) == 2:
                break
    if not words:
        return app

    def name(c: Any) -> str:
        return c.name or c.callback.__name__

    commands = [c for c in app.registered_commands if name(c) == words[0]]
    groups = [g for g in app.registered_groups if g.name == words[0]]
    if not (commands or groups):
        return app
    if groups and len(words) == 2:
        sub = groups[0].typer_instance
        chosen = [c for c in sub.registered_commands if name(c) == words[1]]
        if chosen:
            slim_sub = copy.copy(sub)
            slim_sub.registered_commands = chosen
            group = copy.copy(groups[0])
            group.typer_instance = slim_sub
            groups = [group]
    slim = copy.copy(app)
    slim.registered_commands, slim.registered_groups = commands, groups
    return slim


def _stop_on_sigterm() -> None:
    """SIGTERM (a scheduler stopping the command, a closing session) ends a command as
    Ctrl-C does: its transaction rolled back, a file it was creating removed, exit 130 and
    the one line that says nothing was written (Python's default would end the process at
    once, leaving a half-built file behind)."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError, OSError, AttributeError):  # not the main thread
        signal.signal(signal.SIGTERM, stop)


def main() -> None:
    """Console-script entry point."""
    from .terminal import prepare_streams  # (imported already, by LedgerGroup)

    # A rare character never crashes the output; redirected output on Chinese Windows is
    # GB18030, not GBK, or LEDGER_ENCODING.
    prepare_streams()
    _stop_on_sigterm()
    run = _app_for(sys.argv[1:])
    session = Session()  # the callback fills it in; here it gives the last guard its language
    if os.environ.get("LEDGER_DEBUG"):
        run(obj=session)
        return
    try:
        run(obj=session)
    except Exception as e:  # the last guard: one line, never a traceback for a clerk
        from .i18n import t

        typer.echo(session.error_line(t("internal", session.lang,
                                        why=f"{type(e).__name__}: {e}")), err=True)
        sys.exit(1)
