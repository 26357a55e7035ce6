"""The Tuesday summary (民情走访周汇总), the report card (督查成绩单) and the supervision
settings they are computed with."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .listing import json_rows, township_of, warn_provisional, write_workbook
from .options import (
    BookFormatOpt, DbOpt, ForceOpt, OutputOpt, ReceivedFromOpt, ReceivedToOpt, output_format,
)

if TYPE_CHECKING:
    from ..cli import Session

commands = typer.Typer()  # summary, report: commands of the top level
setting_app = typer.Typer(help="督查设置:权重、阈值 Supervision settings", no_args_is_help=True)

GROUPS = (("setting", setting_app),)

# The columns of the report card for scripts (documented in the README).
REPORT_KEYS = ("rank", "name", "received", "resolved", "on_time", "overdue", "response_rate",
               "resolution_rate", "on_time_rate", "satisfaction_rate", "score", "return_rate",
               "reopen_rate", "urges", "repeats", "dissatisfied", "dissatisfaction_rate")


@commands.command("summary")
def summary(
    ctx: typer.Context,
    week: Annotated[Optional[str], typer.Option("--week", help="含该日的台账周(星期二至下星期一) The week containing this date")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="显示群众全名(记入日志) Show residents' full names (journaled)")] = False,
    fmt: BookFormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """民情走访周汇总:本周受理、办理、在办、到期、超期、多次反映。 The Tuesday summary."""
    s: Session = ctx.obj
    fmt = output_format(fmt, output, xlsx=True)
    if fmt == "xlsx":
        from ..deadlines import parse_date
        from ..i18n import label
        from ..services.reports import ledger_week

        start, _ = ledger_week(parse_date(week, s.day()) if week else s.day())
        write_workbook(s, output, f"{label('title', 'summary', s.lang)}-{start}.xlsx",
                       lambda path: _summary(s, week, unmask, fmt, db, path),
                       force=force, private=unmask, db=db)
        return
    # Residents' full names (--unmask) are personal data: such a file is its owner's only.
    with s.output_to(output, fmt, force=force, private=unmask, db=db):
        _summary(s, week, unmask, fmt, db)


def _summary(s: Session, day: str | None, unmask: bool, fmt: str, db: Path | None,
             path: Path | None = None) -> None:
    from ..privacy import mask_name
    from ..services.reports import WEEK_COUNTS

    render = s.render()
    ledger = s.ledger(db)
    week = ledger.reports.summary(
        day or None,  # a date as typed (上周二 ...), read by the ledger
        limit=render.SUMMARY_LIST_LIMIT if fmt == "table" else None)
    if unmask:  # residents' full names, shown or written: journaled
        ledger.unmasked("summary", {"week_start": week["week_start"], "format": fmt,
                                    "residents": len(week["repeat_residents"])})
    else:
        for r in week["repeat_residents"]:
            r["resident"] = mask_name(r["resident"])
    if fmt == "xlsx":
        from ..io.xlsx import summary_workbook

        trend = ledger.trends.weekly(12, week["week_start"])
        summary_workbook(path, week, trend, township_of(ledger), s.lang)  # type: ignore[arg-type]
        return
    if fmt == "json":
        s.emit_json({**week, **{k: json_rows(week[k]) for k in
                                ("carried_over_demands", "due_demands", "overdue_demands")},
                     "overdue_demands": [{**j, "days_late": r["days_late"]} for j, r in
                                         zip(json_rows(week["overdue_demands"]),
                                             week["overdue_demands"])]})
        return
    if fmt == "csv":
        rows = [{"dimension": "total", "name": "", **week}]
        for key in ("village", "category", "channel"):
            rows += [{"dimension": key, **r} for r in week[f"by_{key}"]]
        s.emit_csv(rows, ("dimension", "name", *WEEK_COUNTS))
        return
    s.print(render.summary(week, s.lang, unmask=True))
    warn_provisional(s, week["carried_over_demands"] + week["due_demands"]
                     + week["overdue_demands"])


@commands.command("report")
def report(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="unit|township|village")] = "unit",
    since: ReceivedFromOpt = None,
    until: ReceivedToOpt = None,
    fmt: BookFormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """督查成绩单:按单位、镇或村排名,附约谈名单。 The report card, ranked."""
    s: Session = ctx.obj
    fmt = output_format(fmt, output, xlsx=True)
    if fmt == "xlsx":
        from ..i18n import label

        write_workbook(s, output, f"{label('title', 'report', s.lang)}-{s.day()}.xlsx",
                       lambda path: _report(s, by, since, until, fmt, db, path),
                       force=force, db=db)
        return
    with s.output_to(output, fmt, force=force, db=db):
        _report(s, by, since, until, fmt, db)


def _report(s: Session, by: str, since: str | None, until: str | None, fmt: str,
            db: Path | None, path: Path | None = None) -> None:
    render = s.render()
    ledger = s.ledger(db)
    r = ledger.reports.card(by.strip().lower(), since, until)
    if fmt == "xlsx":
        from ..io.xlsx import report_workbook

        report_workbook(path, r, township_of(ledger), s.lang,  # type: ignore[arg-type]
                        ledger.today.isoformat())
        return
    if fmt == "json":
        s.emit_json({"by": r["by"], "from": r["from"], "to": r["to"],
                     "rows": [{k: row[k] for k in REPORT_KEYS} for row in r["rows"]],
                     "total": {k: r["total"].get(k) for k in REPORT_KEYS if k != "rank"},
                     "talk": r["talk"], "settings": r["settings"]})
        return
    if fmt == "csv":
        s.emit_csv(r["rows"], REPORT_KEYS)
        return
    s.print(render.report(r, s.lang))


TREND_KEYS = ("week_start", "week_end", "as_of", "received", "resolved", "overdue")


@commands.command("trend")
def trend(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=520, help="台账周数(默认 12) || How many ledger weeks (default 12)")] = 12,
    week: Annotated[Optional[str], typer.Option("--week", help="最后一周含该日(默认本周) The last week contains this date (default: this week)")] = None,
    fmt: BookFormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """每周趋势:近 N 个台账周的受理、办结、超期,附文字条形图。 Weekly intake, resolved, overdue."""
    s: Session = ctx.obj
    fmt = output_format(fmt, output, xlsx=True)
    if fmt == "xlsx":
        from ..i18n import label

        write_workbook(s, output, f"{label('sheet', 'trend', s.lang)}-{s.day()}.xlsx",
                       lambda path: _trend(s, weeks, week, fmt, db, path), force=force, db=db)
        return
    with s.output_to(output, fmt, force=force, db=db):
        _trend(s, weeks, week, fmt, db)


def _trend(s: Session, weeks: int, week: str | None, fmt: str, db: Path | None,
           path: Path | None = None) -> None:
    ledger = s.ledger(db)
    rows = ledger.trends.weekly(weeks, week)
    if fmt == "xlsx":
        from ..io.xlsx import trend_workbook

        trend_workbook(path, rows, township_of(ledger), s.lang,  # type: ignore[arg-type]
                       ledger.today.isoformat())
    elif fmt == "json":
        s.emit_json({"weeks": rows})
    elif fmt == "csv":
        s.emit_csv(rows, TREND_KEYS)
    else:
        s.print(s.render().trend(rows, s.lang))


@setting_app.command("list")
def setting_list(ctx: typer.Context, db: DbOpt = None) -> None:
    """列出督查设置(权重、满意折算、响应时限、约谈阈值)。 List supervision settings."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.settings(s.ledger(db).reports.settings(), s.lang))


@setting_app.command("set")
def setting_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="设置项 Setting, e.g. weight.resolution")],
    value: Annotated[str, typer.Argument(help="值 Value")],
    db: DbOpt = None,
) -> None:
    """修改一项督查设置。 Change a supervision setting."""
    s: Session = ctx.obj
    s.ledger(db, create=True).reports.set_setting(key.strip(), value.strip())
    s.say("setting.set", setting=key.strip(), value=value.strip())
