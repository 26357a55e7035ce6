"""Visits (走访): log one, with the demands raised in it; list them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .options import DbOpt, GridOpt, VillageOpt

if TYPE_CHECKING:
    from ..cli import Session

visit_app = typer.Typer(help="走访 Visits", no_args_is_help=True)

GROUPS = (("visit", visit_app),)


@visit_app.command("log")
def visit_log(
    ctx: typer.Context,
    village: Annotated[Optional[str], typer.Option("--village", help="村/社区(默认为群众所在村) || Village (default: the resident's)")] = None,
    resident: Annotated[Optional[str], typer.Option("--resident", help="走访对象 Resident visited")] = None,
    org: Annotated[Optional[str], typer.Option("--org", help="走访的单位/企业 Organisation visited")] = None,
    cadre: Annotated[Optional[list[str]], typer.Option("--cadre", help="走访干部,可多次 Cadre, repeatable")] = None,
    channel: Annotated[Optional[str], typer.Option("--channel", help="渠道(默认 入户走访) || Channel (default: 入户走访)")] = None,
    date_: Annotated[Optional[str], typer.Option("--date", help="走访日期,如 2026-11-17、昨天(默认今天) || Date of the visit (default: today)")] = None,
    grid: GridOpt = None,
    note: Annotated[Optional[str], typer.Option("--note", help="走访情况 Notes")] = None,
    issue: Annotated[Optional[list[str]], typer.Option(
        "--issue", help="当场提出的诉求,可多次 A demand raised, repeatable")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="诉求类别(适用于本次各诉求) Category")] = None,
    complex_: Annotated[bool, typer.Option("--complex", help="疑难复杂 Complex demands")] = False,
    db: DbOpt = None,
) -> None:
    """登记一次走访及当场提出的诉求。 Log one visit and the demands raised in it."""
    s: Session = ctx.obj
    result = s.ledger(db).visits.log(
        village=village, on=date_, resident=resident, org=org, cadres=cadre or [], channel=channel,
        grid=grid, note=note, issues=issue or [], category=category,
        complexity="complex" if complex_ else None)
    s.say("ok.visit", id=result["visit_id"])
    for number in result["numbers"]:
        s.say("ok.issue_added", number=number)
    from .issues import warn_repeats

    for number, found in result["repeats"].items():
        warn_repeats(s, number, found)


@visit_app.command("list")
def visit_list(
    ctx: typer.Context,
    village: VillageOpt = None,
    since: Annotated[Optional[str], typer.Option("--from", help="起 From date")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="止 To date")] = None,
    db: DbOpt = None,
) -> None:
    """列出走访记录。 List visits."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.visits(s.ledger(db).visits.list(village=village, since=since, until=until),
                          s.lang))
