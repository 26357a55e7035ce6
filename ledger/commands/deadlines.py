"""Deadlines: what is due and what is overdue, the working calendar (holidays and make-up
working days), and the deadline policies."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .listing import json_rows, show_demands, township_of, warn_provisional, write_workbook
from .options import (
    BookFormatOpt, CategoryOpt, DbOpt, ForceOpt, FormatOpt, OutputOpt, output_format,
)

if TYPE_CHECKING:
    from ..cli import Session

commands = typer.Typer()  # due, overdue: commands of the top level
calendar_app = typer.Typer(help="工作日历:法定节假日与调休 The working calendar", no_args_is_help=True)
policy_app = typer.Typer(help="办理时限规则 Deadline policies", no_args_is_help=True)

GROUPS = (("calendar", calendar_app), ("policy", policy_app))


@commands.command("due")
def due(
    ctx: typer.Context,
    within: Annotated[Optional[int], typer.Option("--within", help="今天及之后 N 个工作日内到期(默认:状态灯为临期的,即今天或下一个工作日) || Due today or within N working days (default: the 临期 light, today or the next working day)")] = None,
    fmt: BookFormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """临期:今天或下一个工作日(或 N 个工作日内)到期的在办诉求。 Demands due soon: today or the next working day (or within N working days)."""
    s: Session = ctx.obj
    fmt = output_format(fmt, output, xlsx=True)
    if fmt == "xlsx":
        def build(path: Path) -> None:
            ledger = s.ledger(db)
            _demands_book(s, ledger, "due", path, ledger.demands.due(within))

        write_workbook(s, output, _book_name(s, "due"), build, force=force, db=db)
        return
    with s.output_to(output, fmt, force=force, db=db):
        show_demands(s, s.ledger(db).demands.due(within), fmt, title="due")


def _book_name(s: Session, title: str) -> str:
    from ..i18n import label

    return f"{label('title', title, s.lang)}-{s.day()}.xlsx"


def _demands_book(s: Session, ledger: object, title: str, path: Path, rows: list,
                  extra: tuple[str, ...] = (), groups: tuple = (), period: str = "") -> None:
    """Demands (``due``, ``overdue``, ``issue list``) as a workbook (``ledger.io.xlsx``)."""
    from ..i18n import label
    from ..io.xlsx import Title, demands_workbook

    demands_workbook(path, rows, Title(township_of(ledger), label("title", title, s.lang),
                                       period, s.day().isoformat()),
                     s.lang, extra=extra, groups=groups)


@commands.command("overdue")
def overdue(ctx: typer.Context, fmt: BookFormatOpt = "table", output: OutputOpt = None,
            force: ForceOpt = False, db: DbOpt = None) -> None:
    """超期:已过时限的在办诉求,超期工作日数,按单位和村汇总。 Overdue demands, by unit and village."""
    s: Session = ctx.obj
    fmt = output_format(fmt, output, xlsx=True)
    if fmt == "xlsx":
        def build(path: Path) -> None:
            from ..i18n import label

            ledger = s.ledger(db)
            result = ledger.demands.overdue_by()
            _demands_book(s, ledger, "overdue", path, result["demands"], ("days_late",),
                          ((label("title", "overdue_by_unit", s.lang), result["by_unit"]),
                           (label("title", "overdue_by_village", s.lang), result["by_village"])))

        write_workbook(s, output, _book_name(s, "overdue"), build, force=force, db=db)
        return
    with s.output_to(output, fmt, force=force, db=db):
        _overdue(s, fmt, db)


def _overdue(s: Session, fmt: str, db: Path | None) -> None:
    render = s.render()
    result = s.ledger(db).demands.overdue_by()
    if fmt == "csv":
        show_demands(s, result["demands"], "csv", extra=("days_late",))
        return
    if fmt == "json":
        s.emit_json({"demands": [{**r, "days_late": d["days_late"]} for r, d in
                                 zip(json_rows(result["demands"]), result["demands"])],
                     "by_unit": result["by_unit"], "by_village": result["by_village"]})
        return
    show_demands(s, result["demands"], "table", title="overdue", extra=("days_late",))
    if result["demands"]:
        cols = ("name", "overdue", "max_days_late")
        s.print(render.groups(result["by_unit"], cols, "overdue_by_unit", s.lang))
        s.print(render.groups(result["by_village"], cols, "overdue_by_village", s.lang))


@commands.command("urge")
def urge(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="对列出的每件诉求各记一次催办 Record one urge for each demand listed")] = False,
    text: Annotated[Optional[str], typer.Option("--text", help="催办内容(与 --all 同用) || What the urge notices say (with --all)")] = None,
    copy: Annotated[Optional[str], typer.Option("--copy", help="抄送分管领导(与 --all 同用) || Leader in charge copied (with --all)")] = None,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """催办:今天应催办的诉求(临近时限未催办过的,超期且多日未催办的)。 What to urge today."""
    s: Session = ctx.obj
    if (text or copy) and not all_:
        from ..errors import BadInput

        raise BadInput("urge.needs_all")
    demands = s.ledger(db).demands
    fmt = output_format(fmt)
    rows = demands.urge_all(text=text, copy=copy) if all_ else demands.to_urge()
    extra = ("urges", "last_urged_on")
    if fmt == "json":
        s.emit_json([{**j, **{k: r[k] for k in extra}} for j, r in zip(json_rows(rows), rows)])
    else:
        show_demands(s, rows, fmt, title="urge", extra=extra)
    if all_ and fmt == "table":
        s.say("urge.recorded", n=len(rows))


# Stable English keys of a supervision row for scripts (documented in the README).
SUPERVISE_KEYS = ("number", "unit", "colour", "reason", "supervisor", "leader", "village",
                  "status", "received_on", "due_on", "due_provisional", "light", "assigned_on",
                  "signed_on", "urges", "extensions", "returns", "text")


@commands.command("supervise")
def supervise(
    ctx: typer.Context,
    unit: Annotated[Optional[str], typer.Option("--unit", help="只看该单位牵头的诉求 Only the demands this unit leads")] = None,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """三色督办:红=超期,黄=滞后(未按时签收、退回、延期、催办),蓝=临近时限;按责任单位。 Live demands by colour, by unit."""
    s: Session = ctx.obj
    result = s.ledger(db).demands.colours(unit)
    fmt = output_format(fmt)
    rows = [{k: r[k] for k in SUPERVISE_KEYS} for r in result["demands"]]
    for r in rows:
        r["due_provisional"] = bool(r["due_provisional"])
    if fmt == "json":
        s.emit_json({"demands": rows, "by_unit": result["by_unit"]})
    elif fmt == "csv":
        s.emit_csv(rows, SUPERVISE_KEYS)
    else:
        s.print(s.render().supervision(result, s.lang))
        warn_provisional(s, result["demands"])


@calendar_app.command("show")
def calendar_show(
    ctx: typer.Context,
    year: Annotated[Optional[int], typer.Argument(help="年份(默认今年) || Year (default: this year)")] = None,
    month: Annotated[Optional[int], typer.Option("--month", help="只显示一个月 One month, as a grid")] = None,
    db: DbOpt = None,
) -> None:
    """显示一年(或一个月)的工作日历:假=法定休息日,补班=调休上班日。 Show a year or a month."""
    s: Session = ctx.obj
    render = s.render()
    ledger = s.ledger(db)
    year = year or s.day().year
    months = [month] if month else list(range(1, 13))
    for m in months:
        s.print(render.month_grid(ledger.clocks.month(year, m), s.lang))
    schedule = ledger.clocks.schedule(year)
    if schedule:
        s.echo(schedule.notice)
    else:
        s.warn(s.t("calendar.unknown_year", year=year))


@calendar_app.command("list")
def calendar_list(ctx: typer.Context, db: DbOpt = None) -> None:
    """列出台账已有节假日安排的年份及其依据。 List the years the ledger knows."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.calendar_years(s.ledger(db).clocks.years(), s.lang))


@calendar_app.command("add")
def calendar_add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="一年的安排文件(格式见 README) A year's schedule file", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="缺少某个法定节日也加入 Add it even without one of the statutory holidays")] = False,
    db: DbOpt = None,
) -> None:
    """从文件加入(或更正)一年的节假日安排,并重算受影响的时限。 Add or correct a year."""
    from ..errors import BadInput

    s: Session = ctx.obj
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput("calendar.file", path=str(file),
                       why=getattr(e, "strerror", None) or str(e)) from None
    added = s.ledger(db, create=True).clocks.add_year(text, force=force)
    missing = added.pop("missing")
    s.say("calendar.added", **added)
    if missing:
        s.warn(s.t("calendar.added_without", year=added["year"], names="、".join(missing)))


@policy_app.command("list")
def policy_list(ctx: typer.Context, db: DbOpt = None) -> None:
    """列出办理时限规则。 List deadline policies."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.policies(s.ledger(db).clocks.policies(), s.lang))


@policy_app.command("set")
def policy_set(
    ctx: typer.Context,
    category: Annotated[Optional[str], typer.Option("--category", help="按类别 For a category")] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="按诉求类型 For a type")] = None,
    complexity: Annotated[Optional[str], typer.Option("--complexity", help="按难易:一般性/疑难复杂(general|complex) || For a difficulty: general|complex (一般性/疑难复杂)")] = None,
    amount: Annotated[int, typer.Option("--amount", help="时限长度 Length of the period")] = 1,
    unit: Annotated[str, typer.Option("--unit", help="工作日/自然日/小时(working_days|calendar_days|hours) || working_days|calendar_days|hours (工作日/自然日/小时)")] = "working_days",
    max_extensions: Annotated[Optional[int], typer.Option("--max-extensions", help="最多延期次数 At most this many extensions")] = None,
    extension_days: Annotated[Optional[int], typer.Option("--extension-days", help="每次最多延期天数 Days per extension at most")] = None,
    db: DbOpt = None,
) -> None:
    """设定某类别、类型或难易程度的办理时限;在办诉求随之重算。 Set a deadline policy."""
    s: Session = ctx.obj
    kind, value = _policy_target(category, type_, complexity)
    n = s.ledger(db, create=True).clocks.set_policy(kind, value, amount=amount, unit=unit,
                                       max_extensions=max_extensions,
                                       extension_days=extension_days)
    s.say("policy.set", n=n)


@policy_app.command("remove")
def policy_remove(
    ctx: typer.Context,
    category: CategoryOpt = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="诉求类型 Type")] = None,
    db: DbOpt = None,
) -> None:
    """删除按类别或类型设定的时限规则。 Remove a category or type policy."""
    s: Session = ctx.obj
    kind, value = _policy_target(category, type_, None)
    s.say("policy.set", n=s.ledger(db).clocks.remove_policy(kind, value))


def _policy_target(category: str | None, type_: str | None,
                   complexity: str | None) -> tuple[str, str]:
    """The one thing a policy is for: a category, a type or a complexity."""
    from ..errors import BadInput

    given = [(k, v) for k, v in (("category", category), ("type", type_),
                                  ("complexity", complexity)) if v]
    if len(given) != 1:
        raise BadInput("policy.target")
    return given[0]
