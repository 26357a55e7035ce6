"""The Tuesday meeting (党委会议研判): its agenda, the meetings held, what each decided on
each case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from .listing import JSON_KEYS, json_rows, warn_provisional
from .options import DateOpt, DbOpt, FormatOpt, Number, output_format

if TYPE_CHECKING:
    from ..cli import Session

meeting_app = typer.Typer(help="党委会议研判:议题、会议、研判意见 The Tuesday meeting", no_args_is_help=True)

GROUPS = (("meeting", meeting_app),)

MeetingArg = Annotated[str, typer.Argument(help="会议编号,如 3 或 #3 || Meeting number, e.g. 3 or #3")]


def _meeting_json(m: dict[str, Any]) -> dict[str, Any]:
    return {"meeting": m["id"], "held_on": m["held_on"], "kind": m["kind"],
            "attendees": m["attendees"], "studied": m["studied"]}


@meeting_app.command("agenda")
def meeting_agenda(
    ctx: typer.Context,
    date_: Annotated[Optional[str], typer.Option("--date", help="会议日期(默认今天) || The meeting's day (default: today)")] = None,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """研判议题:上次会议以来新受理、超期、多次上报、不满意、多次反映的诉求。 What the meeting should study."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    result = s.ledger(db).meetings.agenda(date_)
    rows = result["demands"]
    if fmt == "json":
        s.emit_json([{"number": r["number"], "why": r["why"], **j}
                     for j, r in zip(json_rows(rows), rows)])
        return
    if fmt == "csv":
        s.emit_csv([{**j, "why": ";".join(r["why"])} for j, r in zip(json_rows(rows), rows)],
                   ("number", "why", *(k for k in JSON_KEYS if k != "number")))
        return
    s.print(s.render().agenda(result, s.lang))
    warn_provisional(s, rows)


@meeting_app.command("add")
def meeting_add(
    ctx: typer.Context,
    date_: Annotated[str, typer.Option("--date", help="会议日期 The meeting's day")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="党委会议|联席会|会商会(默认党委会议) || party committee (default), joint, consultation")] = None,
    attendee: Annotated[Optional[list[str]], typer.Option("--attendee", help="参会人,可多次 Attendee (repeatable)")] = None,
    db: DbOpt = None,
) -> None:
    """记录一次会议,显示其编号 #N。 Record a meeting; prints its number #N."""
    s: Session = ctx.obj
    mid = s.ledger(db).meetings.add(on=date_, kind=kind, attendees=attendee or [])
    s.say("ok.meeting_added", id=mid)


@meeting_app.command("decide")
def meeting_decide(
    ctx: typer.Context,
    meeting: MeetingArg,
    number: Number,
    decision: Annotated[str, typer.Option("--decision", help="研判意见 What the meeting decided")],
    unit: Annotated[Optional[str], typer.Option("--unit", help="同时交办给该单位 Also assign it to this unit")] = None,
    co_unit: Annotated[Optional[list[str]], typer.Option("--co-unit", help="配合单位(与 --unit 同用) Cooperating unit (with --unit)")] = None,
    deadline: Annotated[Optional[str], typer.Option("--deadline", help="会议定的办理时限 The deadline the meeting set")] = None,
    date_: DateOpt = None,
    db: DbOpt = None,
) -> None:
    """记录会议对一件诉求的研判意见(可同时交办、定时限)。 Record a meeting's decision on a demand."""
    s: Session = ctx.obj
    if co_unit and not unit:
        from ..errors import BadInput

        raise BadInput("meeting.co_unit_needs_unit")
    result = s.ledger(db).meetings.decide(meeting, number, decision=decision, unit=unit,
                                          co_units=co_unit or [], deadline=deadline, on=date_)
    s.say("ok.decided", meeting=result["meeting"], number=result["number"],
          status=result["status"])


@meeting_app.command("list")
def meeting_list(ctx: typer.Context, fmt: FormatOpt = "table", db: DbOpt = None) -> None:
    """列出已记录的会议(最近的在前)。 List the meetings, latest first."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    rows = s.ledger(db).meetings.list()
    if fmt == "json":
        s.emit_json([_meeting_json(m) for m in rows])
    elif fmt == "csv":
        s.emit_csv([{**_meeting_json(m), "attendees": ";".join(m["attendees"])} for m in rows],
                   ("meeting", "held_on", "kind", "attendees", "studied"))
    else:
        s.print(s.render().meetings(rows, s.lang))
        if not rows:
            s.say("none")


@meeting_app.command("show")
def meeting_show(ctx: typer.Context, meeting: MeetingArg, fmt: FormatOpt = "table",
                 db: DbOpt = None) -> None:
    """显示一次会议及其对每件诉求的研判意见。 Show a meeting and its decisions."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    m = s.ledger(db).meetings.show(meeting)
    keys = ("number", "on", "decision", "unit", "due_on", "actor")
    if fmt == "json":
        s.emit_json({**_meeting_json(m),
                     "decisions": [{k: d[k] for k in keys} for d in m["decisions"]]})
    elif fmt == "csv":
        s.emit_csv([{"meeting": m["id"], **{k: d[k] for k in keys}} for d in m["decisions"]],
                   ("meeting", *keys))
    else:
        s.print(s.render().meeting_detail(m, s.lang))
