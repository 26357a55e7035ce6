"""The ``ledger`` command line: parse, open the ledger, make one domain call, render.

Domain errors (``LedgerError``) become a one-line message and their exit code in exactly one
place, the ``command`` decorator. Only this module reads the clock, and ``--today`` (or
``LEDGER_TODAY``) pins it. Heavy modules are imported inside the commands that need them,
so ``ledger --help`` stays quick.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator, Optional

import typer

if TYPE_CHECKING:
    from .services import Ledger

HELP = """民情走访台账:走访、一人一账、诉求办理全过程。 The township visit-and-demand ledger.

台账文件:--db PATH,或环境变量 LEDGER_DB,或用户应用目录下的 ledger.db。
语言:默认中文,--lang en 或 LEDGER_LANG=en 为英文。"""

app = typer.Typer(name="ledger", help=HELP, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False, rich_markup_mode=None)


class _Settings:
    """Options given before the command (``ledger --today D issue list``)."""

    lang: str = "zh"
    today: date | None = None
    user: str | None = None
    db: Path | None = None
    plain: bool = True  # not a terminal: no colour, no box drawing
    output: Any = None  # a file the command writes to instead of standard output
    opened: list[Any] = []  # ledgers this command opened, closed when it ends


settings = _Settings()


def _fail(message: str, code: int) -> None:
    prefix = "error: " if settings.lang == "en" else "错误:"
    typer.echo(prefix + message, err=True)
    raise typer.Exit(code)


def command(group: typer.Typer, name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Register a command whose domain errors become one line and their exit code."""

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            import sqlite3

            from .errors import LedgerError

            try:
                return fn(*args, **kwargs)
            except LedgerError as e:
                _close_ledgers()
                _fail(e.message(settings.lang), e.exit_code)
            except sqlite3.Error as e:
                from .i18n import t

                _close_ledgers()
                _fail(t("file.cannot_open", settings.lang, path=_db_label(kwargs.get("db")),
                        why=str(e)), 1)
            except KeyboardInterrupt:
                from .i18n import t

                _close_ledgers()
                _fail(t("interrupted", settings.lang), 130)
            finally:
                _close_ledgers()

        return group.command(name)(run)

    return decorate


def _close_ledgers() -> None:
    """Fold the write-ahead log into the ledger file and close it: after every command the
    file itself holds everything, and a refused command leaves it byte for byte as it was."""
    import sqlite3

    while settings.opened:
        db = settings.opened.pop()
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            db.conn.close()
        except sqlite3.Error:
            pass


def _db_label(db: Path | None) -> str:
    from .store import resolve_path

    return str(resolve_path(db or settings.db))


def _today() -> date:
    return settings.today or date.today()


def _ledger(db: Path | None) -> "Ledger":
    from datetime import datetime

    from .services import Ledger, open_ledger
    from .store import resolve_path


    now = datetime.now().astimezone().isoformat(timespec="seconds")
    # --db after the command, else --db before it, else $LEDGER_DB, else the app folder.
    path = resolve_path(db or settings.db)
    if (db or settings.db or os.environ.get("LEDGER_DB")) and not path.parent.is_dir():
        from .errors import LedgerFileError

        # A mistyped folder must not quietly start a new, empty ledger somewhere else.
        raise LedgerFileError("file.no_folder", path=str(path), folder=str(path.parent))
    ledger = Ledger(open_ledger(path), today=_today(), user=settings.user or "", now=now)
    settings.opened.append(ledger.db)
    return ledger


def _console() -> Any:
    from rich.console import Console

    # Not a terminal (a file, a pipe, a test): no colour, and wide enough that Chinese
    # tables are not folded at 80 columns.
    if settings.output is None and sys.stdout.isatty():
        return Console()
    return Console(file=settings.output, width=200, no_color=True, highlight=False,
                   soft_wrap=False)


def _print(*renderables: Any) -> None:
    if settings.plain:
        from .render import plain_text

        texts = [plain_text(r) for r in renderables]
        if all(t is not None for t in texts):
            typer.echo("\n".join(texts), file=settings.output)  # type: ignore[arg-type]
            return
    _console().print(*renderables)


def _render() -> Any:
    """The rendering module, set for a terminal or for a file before any table is built."""
    from . import render

    render.set_plain(settings.plain)
    return render


def _say(key: str, **params: Any) -> None:
    from .i18n import t

    typer.echo(t(key, settings.lang, **params), file=settings.output)


class _OutputFile:
    """``--output FILE``: the command's output goes to FILE, written whole or not at all.

    Text and CSV get a UTF-8 BOM so that Notepad and Excel on Chinese Windows open them
    correctly; JSON is plain UTF-8.
    """

    def __init__(self, path: Path | None, fmt: str) -> None:
        self.path, self.fmt = path, fmt

    def __enter__(self) -> None:
        import io

        if self.path is not None:
            settings.output = io.StringIO()
            settings.plain = True

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        buffer, settings.output = settings.output, None
        if self.path is None or exc_type is not None:
            return
        from .errors import LedgerFileError

        encoding = "utf-8" if self.fmt == "json" else "utf-8-sig"
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(buffer.getvalue(), encoding=encoding, newline="")
            tmp.replace(self.path)
        except OSError as e:
            raise LedgerFileError("file.cannot_write", path=str(self.path),
                                  why=e.strerror or str(e)) from None


# --- shared options --------------------------------------------------------------------

DbOpt = Annotated[Optional[Path], typer.Option(
    "--db", show_default=False, dir_okay=False,
    help="台账文件 Ledger file (默认 default: $LEDGER_DB, 或 or the app folder)")]
DateOpt = Annotated[Optional[str], typer.Option(
    "--date", show_default=False, help="日期 Date, e.g. 2026-11-17 (默认今天 default today)")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="原因 Reason")]
OutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", dir_okay=False, help="写入文件(UTF-8) Write to this file instead")]
FormatOpt = Annotated[str, typer.Option(
    "--format", help="table、csv 或 or json (keys: README)")]
Number = Annotated[str, typer.Argument(help="诉求编号 Demand number, e.g. 2026-000123",
                                       show_default=False)]


@app.callback()
def main_options(
    lang: Annotated[Optional[str], typer.Option(
        "--lang", envvar="LEDGER_LANG", help="zh (默认) 或 or en")] = None,
    today: Annotated[Optional[str], typer.Option(
        "--today", envvar="LEDGER_TODAY", help="把“今天”固定为某日 Pin today's date (scripts, tests)")] = None,
    user: Annotated[Optional[str], typer.Option(
        "--user", envvar="LEDGER_USER", help="经办人 Who is recording (default: login name)")] = None,
    db: Annotated[Optional[Path], typer.Option(
        "--db", dir_okay=False, help="台账文件 Ledger file (default: $LEDGER_DB, or the app folder)")] = None,
) -> None:
    from .i18n import current_lang

    settings.lang = current_lang(lang)
    settings.today = None
    if today:
        from .deadlines import parse_date
        from .errors import LedgerError

        try:
            settings.today = parse_date(today)
        except LedgerError as e:
            _fail(e.message(settings.lang), e.exit_code)
    settings.user = user or _login_name()
    settings.db = db
    settings.plain = not sys.stdout.isatty()


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name on some Windows service accounts
        return ""


# --- places, units, people and vocabularies ----------------------------------------------

township_app = typer.Typer(help="镇/街道 Townships", no_args_is_help=True)
village_app = typer.Typer(help="村/社区与网格 Villages, communities and grids", no_args_is_help=True)
unit_app = typer.Typer(help="责任单位 Units (departments)", no_args_is_help=True)
cadre_app = typer.Typer(help="干部 Cadres", no_args_is_help=True)
category_app = typer.Typer(help="诉求类别 Demand categories", no_args_is_help=True)
channel_app = typer.Typer(help="走访渠道 Visit channels", no_args_is_help=True)
type_app = typer.Typer(help="诉求类型(咨询/求助/投诉/建议...) Demand types", no_args_is_help=True)
resident_app = typer.Typer(help="群众,一人一账 Residents, one ledger page each", no_args_is_help=True)
visit_app = typer.Typer(help="走访 Visits", no_args_is_help=True)
issue_app = typer.Typer(help="诉求及其办理 Demands and their handling", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历:法定节假日与调休 The working calendar", no_args_is_help=True)
policy_app = typer.Typer(help="办理时限规则 Deadline policies", no_args_is_help=True)
for _sub, _name in ((township_app, "township"), (village_app, "village"), (unit_app, "unit"),
                    (cadre_app, "cadre"), (category_app, "category"), (channel_app, "channel"),
                    (type_app, "type"), (resident_app, "resident"), (visit_app, "visit"),
                    (issue_app, "issue"), (calendar_app, "calendar"), (policy_app, "policy")):
    app.add_typer(_sub, name=_name)


@command(township_app, "add")
def township_add(name: Annotated[str, typer.Argument(help="名称 Name")], db: DbOpt = None) -> None:
    """新增镇/街道。 Add a township."""
    _ledger(db).registers.add_township(name)
    _say("ok.added", what="township", name=name.strip())


@command(township_app, "list")
def township_list(db: DbOpt = None) -> None:
    """列出镇/街道。 List townships."""
    render = _render()

    _print(render.register(_ledger(db).registers.listing("township"), ("name", "villages"), "townships",
                           settings.lang))


@command(village_app, "add")
def village_add(
    name: Annotated[str, typer.Argument(help="村/社区名 Name")],
    township: Annotated[Optional[str], typer.Option("--township", help="所属镇/街道 Township")] = None,
    kind: Annotated[str, typer.Option("--kind", help="村 或 社区")] = "村",
    db: DbOpt = None,
) -> None:
    """新增村/社区。 Add a village or community."""
    _ledger(db).registers.add_village(name, township=township, kind=kind)
    _say("ok.added", what="village", name=name.strip())


@command(village_app, "list")
def village_list(db: DbOpt = None) -> None:
    """列出村/社区。 List villages."""
    render = _render()

    _print(render.register(_ledger(db).registers.listing("village"),
                           ("name", "township", "kind", "residents", "demands"), "villages",
                           settings.lang))


@command(village_app, "grid")
def village_grid(
    village: Annotated[str, typer.Argument(help="村/社区 Village")],
    name: Annotated[str, typer.Argument(help="网格名 Grid name")],
    db: DbOpt = None,
) -> None:
    """在村/社区下新增网格。 Add a grid to a village."""
    _ledger(db).registers.add_grid(name, village)
    _say("ok.added", what="grid", name=name.strip())


@command(unit_app, "add")
def unit_add(
    name: Annotated[str, typer.Argument(help="单位名称 Name")],
    level: Annotated[str, typer.Option("--level", help="county|township|village (县级/镇级/村级)")] = "township",
    db: DbOpt = None,
) -> None:
    """新增责任单位。 Add a unit (department) at its level."""
    _ledger(db).registers.add_unit(name, level)
    _say("ok.added", what="unit", name=name.strip())


@command(unit_app, "list")
def unit_list(db: DbOpt = None) -> None:
    """列出责任单位。 List units."""
    render = _render()

    _print(render.register(_ledger(db).registers.listing("unit"), ("name", "level", "open_demands"), "units",
                           settings.lang))


@command(cadre_app, "add")
def cadre_add(
    name: Annotated[str, typer.Argument(help="姓名 Name")],
    unit: Annotated[Optional[str], typer.Option("--unit", help="所在单位 Unit")] = None,
    phone: Annotated[Optional[str], typer.Option("--phone", help="电话 Phone")] = None,
    db: DbOpt = None,
) -> None:
    """新增干部。 Add a cadre."""
    _ledger(db).registers.add_cadre(name, unit=unit, phone=phone)
    _say("ok.added", what="cadre", name=name.strip())


@command(cadre_app, "list")
def cadre_list(db: DbOpt = None) -> None:
    """列出干部。 List cadres."""
    render = _render()

    _print(render.register(_ledger(db).registers.listing("cadre"), ("name", "unit"), "cadres", settings.lang))


def _term_commands(group: typer.Typer, kind: str, title: str, zh: str, en: str) -> None:
    @command(group, "add")
    def add(name: Annotated[str, typer.Argument(help="名称 Name")], db: DbOpt = None) -> None:
        _ledger(db).registers.add_term(kind, name)
        _say("ok.added", what=kind, name=name.strip())

    @command(group, "list")
    def list_(db: DbOpt = None) -> None:
        render = _render()

        _print(render.names(_ledger(db).registers.terms(kind), title, settings.lang))

    add.__doc__ = f"新增{zh}。 Add a {en}."
    list_.__doc__ = f"列出{zh}。 List the {en}s."


_term_commands(category_app, "category", "categories", "诉求类别", "demand category")
_term_commands(channel_app, "channel", "channels", "走访渠道", "visit channel")
_term_commands(type_app, "type", "types", "诉求类型", "demand type")


# --- residents -------------------------------------------------------------------------

@command(resident_app, "add")
def resident_add(
    name: Annotated[str, typer.Argument(help="姓名 Name")],
    village: Annotated[str, typer.Option("--village", help="村/社区 Village")],
    phone: Annotated[Optional[str], typer.Option("--phone", help="电话 Phone")] = None,
    id_number: Annotated[Optional[str], typer.Option("--id-number", help="身份证号 ID number")] = None,
    tag: Annotated[Optional[list[str]], typer.Option(
        "--tag", help="标签,可多次 Tag, repeatable: 困难群体, 独居老人, 长期上访户, 多次拨打12345 ...")] = None,
    grid: Annotated[Optional[str], typer.Option("--grid", help="网格 Grid")] = None,
    address: Annotated[Optional[str], typer.Option("--address", help="地址 Address")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="备注 Note")] = None,
    db: DbOpt = None,
) -> None:
    """登记群众,建立一人一账。 Register a resident (one ledger page each)."""
    rid = _ledger(db).residents.add(name, village, phone=phone, id_number=id_number,
                                   tags=tag or [], grid=grid, address=address, note=note)
    _say("ok.added", what="resident", name=f"#{rid} {name.strip()}")


@command(resident_app, "show")
def resident_show(
    ref: Annotated[str, typer.Argument(
        metavar="NAME-OR-ID", help="姓名、#编号、身份证号或手机号;重名时用 姓名/村名 Name, #number, ID number or phone")],
    unmask: Annotated[bool, typer.Option("--unmask", help="显示完整电话和身份证号 Show full phone and ID number")] = False,
    db: DbOpt = None,
) -> None:
    """一人一账:群众的身份、标签、每次走访、每件诉求及结果。 One resident's whole page."""
    render = _render()

    _print(render.resident_page(_ledger(db).residents.page(ref), settings.lang, unmask=unmask))


@command(resident_app, "find")
def resident_find(
    query: Annotated[Optional[str], typer.Argument(help="姓名的一部分,或电话尾号 Part of a name, or a phone tail")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村/社区 Village")] = None,
    phone_tail: Annotated[Optional[str], typer.Option("--phone-tail", help="电话尾号 Phone tail")] = None,
    tag: Annotated[Optional[str], typer.Option("--tag", help="标签 Tag")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="显示完整电话 Show full phone")] = False,
    db: DbOpt = None,
) -> None:
    """按姓名、电话尾号、村或标签查找群众。 Find residents by name, phone tail, village or tag."""
    render = _render()

    rows = _ledger(db).residents.find(query, village=village, phone_tail=phone_tail, tag=tag)
    _print(render.residents(rows, settings.lang, unmask=unmask))
    _say("count", n=len(rows))


@command(resident_app, "tag")
def resident_tag(
    ref: Annotated[str, typer.Argument(metavar="NAME-OR-ID", help="群众 Resident")],
    add: Annotated[Optional[list[str]], typer.Option("--add", help="加标签 Tag to add")] = None,
    remove: Annotated[Optional[list[str]], typer.Option("--remove", help="去标签 Tag to remove")] = None,
    db: DbOpt = None,
) -> None:
    """给群众加/去标签。 Add or remove a resident's tags."""
    ledger = _ledger(db)
    tags = ledger.residents.tag(ref, add=add or [], remove=remove or [])
    from .i18n import t

    _say("ok.tags", name=ref, tags="、".join(tags) or t("none", settings.lang))


# --- visits ----------------------------------------------------------------------------

@command(visit_app, "log")
def visit_log(
    village: Annotated[Optional[str], typer.Option("--village", help="村/社区 Village (默认为群众所在村)")] = None,
    resident: Annotated[Optional[str], typer.Option("--resident", help="走访对象 Resident visited")] = None,
    cadre: Annotated[Optional[list[str]], typer.Option("--cadre", help="走访干部,可多次 Cadre, repeatable")] = None,
    channel: Annotated[Optional[str], typer.Option("--channel", help="渠道 Channel (默认 入户走访)")] = None,
    date_: Annotated[Optional[str], typer.Option("--date", help="走访日期 Date (默认今天 default today)")] = None,
    grid: Annotated[Optional[str], typer.Option("--grid", help="网格 Grid")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="走访情况 Notes")] = None,
    issue: Annotated[Optional[list[str]], typer.Option(
        "--issue", help="当场提出的诉求,可多次 A demand raised, repeatable")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="诉求类别(适用于本次各诉求) Category")] = None,
    complex_: Annotated[bool, typer.Option("--complex", help="疑难复杂 Complex demands")] = False,
    db: DbOpt = None,
) -> None:
    """登记一次走访及当场提出的诉求。 Log one visit and the demands raised in it."""
    result = _ledger(db).visits.log(
        village=village, on=date_, resident=resident, cadres=cadre or [], channel=channel,
        grid=grid, note=note, issues=issue or [], category=category,
        complexity="complex" if complex_ else None)
    _say("ok.visit", id=result["visit_id"])
    for number in result["numbers"]:
        _say("ok.issue_added", number=number)


@command(visit_app, "list")
def visit_list(
    village: Annotated[Optional[str], typer.Option("--village", help="村/社区 Village")] = None,
    since: Annotated[Optional[str], typer.Option("--from", help="起 From date")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="止 To date")] = None,
    db: DbOpt = None,
) -> None:
    """列出走访记录。 List visits."""
    render = _render()

    _print(render.visits(_ledger(db).visits.list(village=village, since=since, until=until),
                         settings.lang))


# --- demands ---------------------------------------------------------------------------

@command(issue_app, "add")
def issue_add(
    text: Annotated[str, typer.Argument(help="诉求内容 What the resident raised")],
    village: Annotated[Optional[str], typer.Option("--village", help="村/社区 Village")] = None,
    resident: Annotated[Optional[str], typer.Option("--resident", help="反映人 Resident")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="类别 Category")] = None,
    complex_: Annotated[bool, typer.Option("--complex", help="疑难复杂 Complex")] = False,
    channel: Annotated[Optional[str], typer.Option("--channel", help="渠道 Channel")] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="类型 咨询/求助/投诉/建议 ...")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="受理层级 village|township|county")] = None,
    date_: Annotated[Optional[str], typer.Option("--date", help="受理日期 Date received (默认今天)")] = None,
    db: DbOpt = None,
) -> None:
    """受理一件诉求(不经走访,如 12345 转来)。 Accept a demand."""
    number = _ledger(db).demands.add(
        text, village=village, on=date_, resident=resident, category=category,
        complexity="complex" if complex_ else None, channel=channel, type=type_, level=level)
    _say("ok.issue_added", number=number)


def _stepped(result: dict[str, Any], action: str) -> None:
    _say("ok.step", number=result["number"], action=action, status=result["status"],
         level=result["level"])


@command(issue_app, "classify")
def issue_classify(
    number: Number,
    category: Annotated[Optional[str], typer.Option("--category", help="类别 Category")] = None,
    complex_: Annotated[Optional[bool], typer.Option(
        "--complex/--general", help="疑难复杂/一般性 Complex or general", show_default=False)] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="类型 Type")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """分类:类别、一般/疑难复杂、类型;原值留在办理记录中。 Classify a demand."""
    complexity = None if complex_ is None else ("complex" if complex_ else "general")
    _stepped(_ledger(db).demands.classify(number, category=category, complexity=complexity, type=type_,
                                  on=date_), "classify")


@command(issue_app, "correct")
def issue_correct(
    number: Number,
    text: Annotated[str, typer.Option("--text", help="更正后的诉求内容 Corrected text")],
    reason: ReasonOpt, date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """更正诉求内容;原文保留在办理记录中。 Correct the text, keeping the original."""
    _stepped(_ledger(db).demands.correct(number, text, reason=reason, on=date_), "correct")


@command(issue_app, "settle")
def issue_settle(
    number: Number,
    result: Annotated[str, typer.Option("--result", help="解决情况 How it was settled")],
    feedback: Annotated[Optional[str], typer.Option("--feedback", help="反馈情况 Feedback given")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """当场解决(小事不出村)。 Settled on the spot."""
    _stepped(_ledger(db).demands.settle(number, result=result, feedback=feedback, on=date_), "settle")


@command(issue_app, "escalate")
def issue_escalate(number: Number, reason: ReasonOpt, date_: DateOpt = None,
                   db: DbOpt = None) -> None:
    """上报一级(村→镇→县),说明本级无法解决的过程和原因。 Escalate one level up."""
    _stepped(_ledger(db).demands.escalate(number, reason=reason, on=date_), "escalate")


@command(issue_app, "assign")
def issue_assign(
    number: Number,
    unit: Annotated[str, typer.Option("--unit", help="牵头单位 Lead unit")],
    co_unit: Annotated[Optional[list[str]], typer.Option("--co-unit", help="配合单位,可多次 Cooperating unit")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", help="责任人 Responsible person")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """交办给责任单位(牵头、配合、责任人)。 Assign to a unit."""
    _stepped(_ledger(db).demands.assign(number, unit=unit, co_units=co_unit or [], handler=handler,
                                on=date_), "assign")


@command(issue_app, "whistle")
def issue_whistle(
    number: Number,
    unit: Annotated[list[str], typer.Option("--unit", help="召集的单位,可多次 Unit summoned")],
    reason: Annotated[Optional[str], typer.Option("--reason", help="原因 Reason")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """吹哨:召集多个单位共同处理。 Whistle: summon several units."""
    _stepped(_ledger(db).demands.whistle(number, units=unit, reason=reason, on=date_), "whistle")


@command(issue_app, "report-in")
def issue_report_in(
    number: Number, unit: Annotated[str, typer.Option("--unit", help="报到单位 Unit")],
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """报到:被召集的单位到场。 A summoned unit reports in."""
    _stepped(_ledger(db).demands.report_in(number, unit=unit, on=date_), "report_in")


@command(issue_app, "take-charge")
def issue_take_charge(
    number: Number, leader: Annotated[str, typer.Option("--leader", help="包案领导 Leader")],
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """包案:领导亲自负责。 A named leader takes charge."""
    _stepped(_ledger(db).demands.take_charge(number, leader=leader, on=date_), "take_charge")


@command(issue_app, "return")
def issue_return(
    number: Number, unit: Annotated[str, typer.Option("--unit", help="退回的单位 Unit")],
    reason: ReasonOpt, date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """退回:责任单位说明理由后退回。 The lead unit sends the case back."""
    _stepped(_ledger(db).demands.return_(number, unit=unit, reason=reason, on=date_), "return")


@command(issue_app, "notify")
def issue_notify(
    number: Number, text: Annotated[str, typer.Option("--text", help="告知内容 What the resident was told")],
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """告知群众办理进度。 Progress notice to the resident."""
    _stepped(_ledger(db).demands.notify(number, text=text, on=date_), "notify")


@command(issue_app, "extend")
def issue_extend(
    number: Number, reason: ReasonOpt,
    approver: Annotated[str, typer.Option("--approver", help="审批人 Who approved")],
    days: Annotated[Optional[int], typer.Option("--days", help="延长天数 Days added")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """延期:说明原因和审批人。 Extend the deadline."""
    _stepped(_ledger(db).demands.extend(number, reason=reason, approver=approver, days=days, on=date_),
             "extend")


@command(issue_app, "suspend")
def issue_suspend(number: Number, reason: ReasonOpt, date_: DateOpt = None,
                  db: DbOpt = None) -> None:
    """挂起:暂停计时(如等待群众补充材料)。 Suspend (pause the clock)."""
    _stepped(_ledger(db).demands.suspend(number, reason=reason, on=date_), "suspend")


@command(issue_app, "resume")
def issue_resume(number: Number, date_: DateOpt = None, db: DbOpt = None) -> None:
    """恢复办理。 Resume a suspended demand."""
    _stepped(_ledger(db).demands.resume(number, on=date_), "resume")


@command(issue_app, "resolve")
def issue_resolve(
    number: Number, result: Annotated[str, typer.Option("--result", help="办理结果 Result")],
    feedback: Annotated[Optional[str], typer.Option("--feedback", help="反馈情况 Feedback given")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """办结:记录结果和向群众反馈情况。 Resolve a demand."""
    _stepped(_ledger(db).demands.resolve(number, result=result, feedback=feedback, on=date_), "resolve")


@command(issue_app, "follow-up")
def issue_follow_up(
    number: Number,
    satisfaction: Annotated[str, typer.Option("--satisfaction", help="满意|基本满意|不满意")],
    note: Annotated[Optional[str], typer.Option("--note", help="回访情况 Notes")] = None,
    reopen: Annotated[bool, typer.Option("--reopen", help="不满意时重新办理 Reopen when dissatisfied")] = False,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """回访:群众满意度;不满意可加 --reopen 重新办理。 Follow up with the resident."""
    _stepped(_ledger(db).demands.follow_up(number, satisfaction=satisfaction, note=note, reopen=reopen,
                                   on=date_), "follow_up")


@command(issue_app, "close")
def issue_close(
    number: Number,
    reason: Annotated[Optional[str], typer.Option("--reason", help="原因(不满意仍销号时必填)")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """销号:已办结并回访的诉求。 Close out a resolved, followed-up demand."""
    _stepped(_ledger(db).demands.close(number, reason=reason, on=date_), "close")


@command(issue_app, "reopen")
def issue_reopen(number: Number, reason: ReasonOpt, date_: DateOpt = None,
                 db: DbOpt = None) -> None:
    """重新办理已办结或已销号的诉求。 Reopen a resolved or closed demand."""
    _stepped(_ledger(db).demands.reopen(number, reason=reason, on=date_), "reopen")


@command(issue_app, "show")
def issue_show(number: Number, db: DbOpt = None) -> None:
    """显示一件诉求及其全部办理记录。 Show a demand with its full history."""
    render = _render()

    d = _ledger(db).demands.show(number)
    _print(render.demand_detail(d, settings.lang))
    _warn_provisional([d])


@command(issue_app, "list")
def issue_list(
    status: Annotated[Optional[str], typer.Option("--status", help="open|suspended|resolved|closed (办理中/已挂起/已办结/已销号)")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村/社区 Village")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="类别 Category")] = None,
    unit: Annotated[Optional[str], typer.Option("--unit", help="责任单位(牵头或配合) Unit, lead or cooperating")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="village|township|county")] = None,
    resident: Annotated[Optional[str], typer.Option("--resident", help="反映人 Resident")] = None,
    since: Annotated[Optional[str], typer.Option("--from", help="受理日期起 Received from")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="受理日期止 Received until")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=0, help="最多显示条数(表格默认 1000,0 为全部)At most this many (table: 1000 by default; 0: all)")] = None,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """诉求台账,可按状态、村、类别、单位、层级、反映人、日期筛选。 List demands."""
    fmt = _format(fmt)
    # A screen shows the first thousand; scripts (csv, json) get every row unless they ask.
    shown = limit if limit is not None else (TABLE_LIMIT if fmt == "table" else 0)
    rows = _ledger(db).demands.list(status=status, village=village, category=category, unit=unit,
                                    level=level, resident=resident, since=since, until=until,
                                    limit=shown + 1 if shown else None)
    more = bool(shown) and len(rows) > shown
    _show_demands(rows[:shown] if more else rows, fmt)
    if more:
        _say("list.more", n=shown)


TABLE_LIMIT = 1000


# Stable English keys of a demand row for scripts (documented in the README).
JSON_KEYS = ("number", "status", "level", "village", "category", "complexity", "type", "channel",
             "unit", "received_on", "due_on", "due_provisional", "light", "resolved_on",
             "closed_on", "satisfaction", "settled_on_spot", "text")


def _json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        row = {k: r.get(k) for k in JSON_KEYS}
        row["due_provisional"] = bool(row["due_provisional"])
        row["settled_on_spot"] = bool(row["settled_on_spot"])
        out.append(row)
    return out


def _emit_json(payload: Any) -> None:
    import json

    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2), file=settings.output)


def _emit_csv(rows: list[dict[str, Any]], keys: tuple[str, ...] | list[str]) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(keys), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    typer.echo(out.getvalue(), nl=False, file=settings.output)


def _show_demands(rows: list[dict[str, Any]], fmt: str, title: str = "issue_list",
                  extra: tuple[str, ...] = ()) -> None:
    render = _render()

    if fmt == "json":
        _emit_json(_json_rows(rows))
        return
    if fmt == "csv":
        _emit_csv([{**j, **{k: r[k] for k in extra}} for j, r in zip(_json_rows(rows), rows)],
                  (*JSON_KEYS, *extra))
        return
    _print(render.demands(rows, settings.lang, title=title, extra=extra))
    if not rows:
        _say("none")
    _warn_provisional(rows)


def _warn_provisional(rows: list[dict[str, Any]]) -> None:
    render = _render()
    from .i18n import t

    years = render.provisional_years(rows)
    if years:
        n = sum(1 for r in rows if r.get("due_provisional"))
        typer.echo(t("provisional.warning", settings.lang, n=n, years="、".join(years)), err=True)


# --- deadlines -------------------------------------------------------------------------

@command(app, "due")
def due(
    within: Annotated[int, typer.Option("--within", help="今天及之后 N 个工作日内到期 Due today or within N working days")] = 0,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """临期:今天(或 N 个工作日内)到期的在办诉求。 Demands due today or within N working days."""
    _show_demands(_ledger(db).demands.due(within), _format(fmt), title="due")


@command(app, "overdue")
def overdue(fmt: FormatOpt = "table", db: DbOpt = None) -> None:
    """超期:已过时限的在办诉求,超期工作日数,按单位和村汇总。 Overdue demands, by unit and village."""
    render = _render()

    result = _ledger(db).demands.overdue_by()
    fmt = _format(fmt)
    if fmt == "csv":
        _show_demands(result["demands"], "csv", extra=("days_late",))
        return
    if fmt == "json":
        _emit_json({"demands": [{**r, "days_late": d["days_late"]} for r, d in
                                zip(_json_rows(result["demands"]), result["demands"])],
                    "by_unit": result["by_unit"], "by_village": result["by_village"]})
        return
    _show_demands(result["demands"], "table", title="overdue", extra=("days_late",))
    if result["demands"]:
        cols = ("name", "overdue", "max_days_late")
        _print(render.groups(result["by_unit"], cols, "overdue_by_unit", settings.lang))
        _print(render.groups(result["by_village"], cols, "overdue_by_village", settings.lang))


def _format(fmt: str) -> str:
    from .errors import BadInput

    value = (fmt or "table").strip().lower()
    if value not in ("table", "csv", "json"):
        raise BadInput("enum.unknown", what="format", name=fmt, choices=["table", "csv", "json"])
    return value


@command(calendar_app, "show")
def calendar_show(
    year: Annotated[Optional[int], typer.Argument(help="年份 Year (默认今年)")] = None,
    month: Annotated[Optional[int], typer.Option("--month", help="只显示一个月 One month, as a grid")] = None,
    db: DbOpt = None,
) -> None:
    """显示一年(或一个月)的工作日历:假=法定休息日,补班=调休上班日。 Show a year or a month."""
    render = _render()

    ledger = _ledger(db)
    year = year or _today().year
    months = [month] if month else list(range(1, 13))
    for m in months:
        _print(render.month_grid(ledger.clocks.month(year, m), settings.lang))
    schedule = ledger.calendar.schedules.get(year)
    if schedule:
        typer.echo(schedule.notice)
    else:
        from .i18n import t

        typer.echo(t("calendar.unknown_year", settings.lang, year=year), err=True)


@command(calendar_app, "list")
def calendar_list(db: DbOpt = None) -> None:
    """列出台账已有节假日安排的年份及其依据。 List the years the ledger knows."""
    render = _render()

    _print(render.calendar_years(_ledger(db).clocks.years(), settings.lang))


@command(calendar_app, "add")
def calendar_add(
    file: Annotated[Path, typer.Argument(help="一年的安排文件(格式见 README) A year's schedule file", dir_okay=False)],
    db: DbOpt = None,
) -> None:
    """从文件加入(或更正)一年的节假日安排,并重算受影响的时限。 Add or correct a year."""
    from .errors import BadInput

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput("calendar.file", path=str(file), why=getattr(e, "strerror", None) or str(e)) from None
    _say("calendar.added", **_ledger(db).clocks.add_year(text))


@command(policy_app, "list")
def policy_list(db: DbOpt = None) -> None:
    """列出办理时限规则。 List deadline policies."""
    render = _render()

    _print(render.policies(_ledger(db).clocks.policies(), settings.lang))


@command(policy_app, "set")
def policy_set(
    category: Annotated[Optional[str], typer.Option("--category", help="按类别 For a category")] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="按诉求类型 For a type")] = None,
    complexity: Annotated[Optional[str], typer.Option("--complexity", help="按难易 general|complex (一般性/疑难复杂)")] = None,
    amount: Annotated[int, typer.Option("--amount", help="时限长度 Length of the period")] = 1,
    unit: Annotated[str, typer.Option("--unit", help="working_days|calendar_days|hours (工作日/自然日/小时)")] = "working_days",
    max_extensions: Annotated[Optional[int], typer.Option("--max-extensions", help="最多延期次数 At most this many extensions")] = None,
    extension_days: Annotated[Optional[int], typer.Option("--extension-days", help="每次最多延期天数 Days per extension at most")] = None,
    db: DbOpt = None,
) -> None:
    """设定某类别、类型或难易程度的办理时限;在办诉求随之重算。 Set a deadline policy."""
    kind, value = _policy_target(category, type_, complexity)
    n = _ledger(db).clocks.set_policy(kind, value, amount=amount, unit=unit,
                               max_extensions=max_extensions, extension_days=extension_days)
    _say("policy.set", n=n)


@command(policy_app, "remove")
def policy_remove(
    category: Annotated[Optional[str], typer.Option("--category", help="类别 Category")] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="诉求类型 Type")] = None,
    db: DbOpt = None,
) -> None:
    """删除按类别或类型设定的时限规则。 Remove a category or type policy."""
    kind, value = _policy_target(category, type_, None)
    _say("policy.set", n=_ledger(db).clocks.remove_policy(kind, value))


def _policy_target(category: str | None, type_: str | None,
                   complexity: str | None) -> tuple[str, str]:
    from .errors import BadInput

    given = [(k, v) for k, v in (("category", category), ("type", type_),
                                  ("complexity", complexity)) if v]
    if len(given) != 1:
        raise BadInput("policy.target")
    return given[0]


# --- the Tuesday summary and the report card --------------------------------------------

setting_app = typer.Typer(help="督查设置:权重、阈值 Supervision settings", no_args_is_help=True)
app.add_typer(setting_app, name="setting")


@command(app, "summary")
def summary(
    week: Annotated[Optional[str], typer.Option("--week", help="含该日的台账周(星期二至下星期一) The week containing this date")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="显示群众全名 Show residents' full names")] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    db: DbOpt = None,
) -> None:
    """民情走访周汇总:本周受理、办理、在办、到期、超期、多次反映。 The Tuesday summary."""
    with _OutputFile(output, _format(fmt)):
        _summary(week, unmask, _format(fmt), db)


def _summary(week: str | None, unmask: bool, fmt: str, db: Path | None) -> None:
    from .deadlines import parse_date
    from .privacy import mask_name
    from .services.reports import WEEK_COUNTS

    render = _render()
    s = _ledger(db).reports.summary(parse_date(week) if week else None,
                        limit=render.SUMMARY_LIST_LIMIT if fmt == "table" else None)
    if not unmask:
        for r in s["repeat_residents"]:
            r["resident"] = mask_name(r["resident"])
    if fmt == "json":
        _emit_json({**s, **{k: _json_rows(s[k]) for k in
                            ("carried_over_demands", "due_demands", "overdue_demands")},
                    "overdue_demands": [{**j, "days_late": r["days_late"]} for j, r in
                                        zip(_json_rows(s["overdue_demands"]), s["overdue_demands"])]})
        return
    if fmt == "csv":
        rows = [{"dimension": "total", "name": "", **s}]
        for key in ("village", "category", "channel"):
            rows += [{"dimension": key, **r} for r in s[f"by_{key}"]]
        _emit_csv(rows, ("dimension", "name", *WEEK_COUNTS))
        return
    _print(render.summary(s, settings.lang, unmask=True))
    _warn_provisional(s["carried_over_demands"] + s["due_demands"] + s["overdue_demands"])


REPORT_KEYS = ("rank", "name", "received", "resolved", "on_time", "overdue", "response_rate",
               "resolution_rate", "on_time_rate", "satisfaction_rate", "score")


@command(app, "report")
def report(
    by: Annotated[str, typer.Option("--by", help="unit|township|village")] = "unit",
    since: Annotated[Optional[str], typer.Option("--from", help="受理日期起 Received from")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="受理日期止 Received until")] = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    db: DbOpt = None,
) -> None:
    """督查成绩单:按单位、镇或村排名,附约谈名单。 The report card, ranked."""
    with _OutputFile(output, _format(fmt)):
        _report(by, since, until, _format(fmt), db)


def _report(by: str, since: str | None, until: str | None, fmt: str, db: Path | None) -> None:
    render = _render()
    r = _ledger(db).reports.card(by.strip().lower(), since, until)
    if fmt == "json":
        _emit_json({"by": r["by"], "from": r["from"], "to": r["to"],
                    "rows": [{k: row[k] for k in REPORT_KEYS} for row in r["rows"]],
                    "talk": r["talk"], "settings": r["settings"]})
        return
    if fmt == "csv":
        _emit_csv(r["rows"], REPORT_KEYS)
        return
    _print(render.report(r, settings.lang))


@command(setting_app, "list")
def setting_list(db: DbOpt = None) -> None:
    """列出督查设置(权重、满意折算、响应时限、约谈阈值)。 List supervision settings."""
    render = _render()

    _print(render.settings(_ledger(db).reports.settings(), settings.lang))


@command(setting_app, "set")
def setting_set(
    key: Annotated[str, typer.Argument(help="设置项 Setting, e.g. weight.resolution")],
    value: Annotated[str, typer.Argument(help="值 Value")],
    db: DbOpt = None,
) -> None:
    """修改一项督查设置。 Change a supervision setting."""
    _ledger(db).reports.set_setting(key.strip(), value.strip())
    _say("setting.set", setting=key.strip(), value=value.strip())


# --- export and import -------------------------------------------------------------------

EXPORT_FILE_NAMES = {"demands": "诉求台账", "visits": "走访记录", "residents": "群众名册"}


@command(app, "export")
def export(
    what: Annotated[str, typer.Argument(help="demands(诉求,默认)| visits(走访)| residents(群众)")] = "demands",
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, help="写入文件 Write to this file (默认:当前文件夹下“诉求台账-日期.csv”)")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="utf-8-sig(默认,带 BOM)| gb18030 | utf-8")] = "utf-8-sig",
    unmask: Annotated[bool, typer.Option("--unmask", help="不打码电话和身份证号(记入日志) Do not mask phones and ID numbers (journaled)")] = False,
    mask_names: Annotated[bool, typer.Option("--mask-names", help="姓名也打码(张*) Mask names too")] = False,
    status: Annotated[Optional[str], typer.Option("--status", help="诉求状态 Demand status")] = None,
    village: Annotated[Optional[str], typer.Option("--village", help="村/社区 Village")] = None,
    since: Annotated[Optional[str], typer.Option("--from", help="日期起 From date")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="日期止 To date")] = None,
    db: DbOpt = None,
) -> None:
    """导出 CSV(Excel/WPS 可直接打开):诉求、走访或群众;个人信息默认打码。 Export as CSV."""
    from .io.csvformat import export_csv
    from .errors import LedgerFileError

    filters = {k: v for k, v in (("status", status), ("village", village), ("since", since),
                                 ("until", until)) if v}
    ledger = _ledger(db)
    kind = what.strip().lower()
    if output is None and not sys.stdout.isatty():
        # A pipe or a redirect: the CSV goes to standard output.
        n = export_csv(ledger, kind, typer.get_binary_stream("stdout"), encoding=encoding,
                       unmask=unmask, mask_names=mask_names, **filters)
        return
    path = output or Path(f"{EXPORT_FILE_NAMES.get(kind, kind)}-{_today().isoformat()}.csv")
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            n = export_csv(ledger, kind, out, encoding=encoding, unmask=unmask,
                           mask_names=mask_names, **filters)
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise LedgerFileError("file.cannot_write", path=str(path), why=e.strerror or str(e)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _say("export.done", n=n, path=str(path))
    if unmask:
        _say("export.unmasked")


@command(app, "import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV 文件(ledger export 的格式) A CSV in the export format", dir_okay=False)],
    what: Annotated[str, typer.Option("--what", help="demands(默认)| visits | residents")] = "demands",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查,不写入 Check only")] = False,
    create_missing: Annotated[bool, typer.Option("--create-missing", help="新建未知的村、单位、类别等 Create unknown villages, units, categories")] = False,
    errors: Annotated[Optional[Path], typer.Option("--errors", dir_okay=False, help="把问题清单写成 CSV Write the problems as CSV")] = None,
    db: DbOpt = None,
) -> None:
    """导入 CSV:先逐行检查,有任何问题则全部不导入并列出问题;按编号去重。 Import a CSV."""
    from .io.importer import ImportRefused, import_csv, write_errors_csv
    from .errors import BadInput
    from .i18n import t

    try:
        source = open(file, "rb")
    except OSError as e:
        raise BadInput("calendar.file", path=str(file), why=e.strerror or str(e)) from None
    try:
        ledger = _ledger(db)
        with _progress(file) as progress:
            result = import_csv(ledger, source, what=what.strip().lower(), dry_run=dry_run,
                                create_missing=create_missing, progress=progress)
    except ImportRefused as e:
        problems = e.params["errors"]
        typer.echo(("error: " if settings.lang == "en" else "错误:") + e.message(settings.lang),
                   err=True)
        for p in problems:
            row, column, value, why = p.as_row(settings.lang)
            typer.echo(f"  {row}\t{column}\t{value}\t{why}", err=True)
        if errors is not None:
            with open(errors, "wb") as out:
                write_errors_csv(problems, out, lang=settings.lang)
            typer.echo(t("import.errors_written", settings.lang, path=str(errors)), err=True)
        raise typer.Exit(e.exit_code) from None
    finally:
        source.close()
    _say("import.done", rows=result.rows, added=result.added, skipped=result.skipped)
    for kind, names in result.created.items():
        n = result.created_count[kind]
        if n <= CREATED_SHOWN:
            _say("import.created", what=kind, names="、".join(names))
        else:
            _say("import.created_many", what=kind, n=n, names="、".join(names[:CREATED_SHOWN]))
    if dry_run:
        _say("import.dry_run")


CREATED_SHOWN = 20  # names listed per kind after an import; the count is always given


@contextlib.contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal for a long file (bytes read); nothing otherwise."""
    size = file.stat().st_size
    if size < (1 << 20) or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(file.name, total=size)
        yield lambda done: bar.update(task, completed=done)


@command(app, "merge")
def merge(
    other: Annotated[Path, typer.Argument(help="另一个乡镇的台账文件 Another ledger file", dir_okay=False)],
    db: DbOpt = None,
) -> None:
    """合并另一本台账(如县里汇总各乡镇):编号重排、来源留记录,重复合并不会重复添加。 Merge a ledger."""
    from .io.merge import merge_ledger

    result = merge_ledger(_ledger(db), other)
    _say("merge.done", source=result.source, demands=result.demands, skipped=result.skipped,
         visits=result.visits, residents=result.residents)
    for kind, n in sorted(result.created.items()):
        _say("merge.created", what=kind, n=n)


# --- keeping the record safe ---------------------------------------------------------------

@command(app, "check")
def check_(db: DbOpt = None) -> None:
    """检查台账:文件完整性、引用、每件诉求的状态与办理记录一致、在办诉求有时限。 Check the ledger."""
    from .i18n import t

    ledger = _ledger(db)
    findings = ledger.checks.run()
    if not findings:
        _say("check.ok", demands=ledger.db["demands"].count)
        return
    typer.echo(t("check.found", settings.lang, n=len(findings)), err=True)
    for f in findings:
        typer.echo("  " + t(f.key, settings.lang, **f.params), err=True)
    raise typer.Exit(1)


@command(app, "backup")
def backup_(
    dest: Annotated[Path, typer.Argument(help="备份文件 Backup file", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件 Replace an existing file")] = False,
    db: DbOpt = None,
) -> None:
    """备份台账(他人同时写入也能得到一致的副本)。 Back up the ledger, consistently, while others write."""
    from .io.backup import backup

    size = backup(_ledger(db), dest, force=force)
    _say("backup.done", path=str(dest), size=size)


@command(app, "restore")
def restore_(
    source: Annotated[Path, typer.Argument(help="备份文件 Backup file", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="确认替换现有台账 Replace the existing ledger")] = False,
    db: DbOpt = None,
) -> None:
    """从备份恢复台账:先检查备份,原台账另存一份;已有台账须加 --force。 Restore from a backup."""
    from .io.backup import restore
    from .store import resolve_path

    target = resolve_path(db or settings.db)
    kept = restore(target, source, today=_today(), force=force)
    _say("restore.done", source=str(source), path=str(target))
    if kept:
        _say("restore.kept", path=str(kept))


@command(app, "undo")
def undo_(db: DbOpt = None) -> None:
    """撤销自己的上一次操作(打错了时用);办理记录保留原操作和撤销记录。 Undo your last change."""
    from .i18n import label

    result = _ledger(db).history.undo()
    steps = "、".join(f"{label('action', action, settings.lang)} {name}".strip()
                      for _, action, name in result["steps"])
    _say("undo.done", command=result["command"], actor=result["actor"] or "", steps=steps)


# --- the demo --------------------------------------------------------------------------

@command(app, "demo")
def demo(
    db: Annotated[Optional[Path], typer.Option(
        "--db", dir_okay=False, help="建在此文件(默认临时文件) Build it in this file (default: a temporary one)")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件 Replace an existing file")] = False,
) -> None:
    """用 examples/ 中的示例乡镇建一个演示台账,并显示文书常看的内容。 Build and show a demo ledger."""
    import tempfile

    render = _render()
    from .demo import load_township, read_township
    from .i18n import t
    from .services import Ledger, open_ledger

    # Deliberately not $LEDGER_DB: the demo must never write into a clerk's real ledger.
    if db is None:
        path = Path(tempfile.mkdtemp(prefix="ledger-demo-")) / "demo.db"
    else:
        path = db
        if path.exists():
            if not force:
                _fail(t("exists", settings.lang, what="file", name=str(path)) + " (--force)", 1)
            path.unlink()
    data = read_township()
    today = date.fromisoformat(data["today"])
    ledger = Ledger(open_ledger(path), today=today, user=data["user"])
    counts = load_township(ledger, data)
    lang = settings.lang
    _say("demo.built", path=str(path))
    typer.echo("  ".join(f"{k}={v}" for k, v in counts.items()))
    _print(render.register(ledger.registers.listing("village"),
                           ("name", "township", "kind", "residents", "demands"), "villages", lang))
    _print(render.demands(ledger.demands.list(status="open"), lang))
    busiest = ledger.residents.busiest()
    if busiest:
        _print(render.resident_page(ledger.residents.page(busiest), lang))
    longest = ledger.demands.longest_history()
    if longest:
        _print(render.demand_detail(ledger.demands.show(longest), lang))
    _say("demo.next", today=today.isoformat(), path=str(path))


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


def main() -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):
        # A Windows console or a redirected file in GBK must not crash on a rare character.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(errors="replace")
    run = _app_for(sys.argv[1:])
    if os.environ.get("LEDGER_DEBUG"):
        run()
        return
    try:
        run()
    except Exception as e:  # the last guard: one line, never a traceback for a clerk
        from .i18n import t

        prefix = "error: " if settings.lang == "en" else "错误:"
        typer.echo(prefix + t("internal", settings.lang, why=f"{type(e).__name__}: {e}"), err=True)
        sys.exit(1)
