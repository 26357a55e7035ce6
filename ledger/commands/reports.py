"""The Tuesday summary (民情走访周汇总), the report card (督查成绩单) and the supervision
settings they are computed with."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .listing import json_rows, warn_provisional
from .options import (
    DbOpt, ForceOpt, FormatOpt, OutputOpt, ReceivedFromOpt, ReceivedToOpt, output_format,
)

if TYPE_CHECKING:
    from ..cli import Session

commands = typer.Typer()  # summary, report: commands of the top level
setting_app = typer.Typer(help="督查设置:权重、阈值 Supervision settings", no_args_is_help=True)

GROUPS = (("setting", setting_app),)

# The columns of the report card for scripts (documented in the README).
REPORT_KEYS = ("rank", "name", "received", "resolved", "on_time", "overdue", "response_rate",
               "resolution_rate", "on_time_rate", "satisfaction_rate", "score", "return_rate",
               "reopen_rate", "urges", "repeats")


@commands.command("summary")
def summary(
    ctx: typer.Context,
    week: Annotated[Optional[str], typer.Option("--week", help="含该日的台账周(星期二至下星期一) The week containing this date")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="显示群众全名(记入日志) Show residents' full names (journaled)")] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """民情走访周汇总:本周受理、办理、在办、到期、超期、多次反映。 The Tuesday summary."""
    s: Session = ctx.obj
    # Residents' full names (--unmask) are personal data: such a file is its owner's only.
    with s.output_to(output, output_format(fmt), force=force, private=unmask, db=db):
        _summary(s, week, unmask, output_format(fmt), db)


def _summary(s: Session, day: str | None, unmask: bool, fmt: str, db: Path | None) -> None:
    from ..deadlines import parse_date
    from ..privacy import mask_name
    from ..services.reports import WEEK_COUNTS

    render = s.render()
    ledger = s.ledger(db)
    week = ledger.reports.summary(
        parse_date(day) if day else None,
        limit=render.SUMMARY_LIST_LIMIT if fmt == "table" else None)
    if unmask:  # residents' full names, shown or written: journaled
        ledger.unmasked("summary", {"week_start": week["week_start"], "format": fmt,
                                    "residents": len(week["repeat_residents"])})
    else:
        for r in week["repeat_residents"]:
            r["resident"] = mask_name(r["resident"])
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
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """督查成绩单:按单位、镇或村排名,附约谈名单。 The report card, ranked."""
    s: Session = ctx.obj
    with s.output_to(output, output_format(fmt), force=force, db=db):
        _report(s, by, since, until, output_format(fmt), db)


def _report(s: Session, by: str, since: str | None, until: str | None, fmt: str,
            db: Path | None) -> None:
    render = s.render()
    r = s.ledger(db).reports.card(by.strip().lower(), since, until)
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
