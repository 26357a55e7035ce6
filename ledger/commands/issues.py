"""Demands and their handling (诉求): accept one, take it through every step of its life,
show one with its whole history, list them. Each step has who (``--user``), when
(``--date``, default today) and, where the rules ask, why (``--reason``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from .listing import show_demands, warn_provisional, write_workbook
from .options import (
    BookFormatOpt, CategoryOpt, DateOpt, DbOpt, FeedbackOpt, FormatOpt, ForceOpt, Number,
    OutputOpt, ReasonOpt, ReceivedFromOpt, ReceivedToOpt, ResidentOpt, VillageOpt,
    output_format,
)

if TYPE_CHECKING:
    from ..cli import Session

issue_app = typer.Typer(help="诉求及其办理 Demands and their handling", no_args_is_help=True)

GROUPS = (("issue", issue_app),)

TABLE_LIMIT = 1000  # rows `issue list` shows on a screen unless --limit says otherwise


@issue_app.command("add")
def issue_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="诉求内容 What the resident raised")],
    village: VillageOpt = None,
    resident: ResidentOpt = None,
    category: CategoryOpt = None,
    complex_: Annotated[bool, typer.Option("--complex", help="疑难复杂 Complex")] = False,
    channel: Annotated[Optional[str], typer.Option("--channel", help="渠道 Channel")] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="类型:咨询/求助/投诉/建议 …… || Type: 咨询/求助/投诉/建议 ...")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="受理层级(village|township|county) || Level received at: village|township|county")] = None,
    date_: Annotated[Optional[str], typer.Option("--date", help="受理日期,如 2026-11-17、昨天(默认今天) || Date received (default: today)")] = None,
    repeat_of: Annotated[Optional[str], typer.Option("--repeat-of", help="重复诉求:与之前的这件诉求是同一件事 || A repeat of this earlier demand")] = None,
    db: DbOpt = None,
) -> None:
    """受理一件诉求(不经走访,如 12345 转来)。 Accept a demand."""
    s: Session = ctx.obj
    got = s.ledger(db).demands.add_checked(
        text, village=village, on=date_, resident=resident, category=category,
        complexity="complex" if complex_ else None, channel=channel, type=type_, level=level,
        repeat_of=repeat_of)
    s.say("ok.issue_added", number=got["number"])
    warn_repeats(s, got["number"], got["repeats"])


def warn_repeats(s: Session, number: str, repeats: list[dict[str, Any]]) -> None:
    """One line on standard error: the earlier demands this one may repeat (重复诉求)."""
    if repeats:
        sep = ", " if s.lang == "en" else "、"
        s.warn(s.t("repeat.possible", number=number, n=len(repeats), found=sep.join(
            s.t("repeat.one", number=r["number"], similarity=r["similarity"],
                status=r["status"]) for r in repeats)))


def _stepped(s: Session, result: dict[str, Any], action: str) -> None:
    """What a step did: the demand, its status and its level now."""
    s.say("ok.step", number=result["number"], action=action, status=result["status"],
          level=result["level"])


@issue_app.command("classify")
def issue_classify(
    ctx: typer.Context,
    number: Number,
    category: CategoryOpt = None,
    complex_: Annotated[Optional[bool], typer.Option(
        "--complex/--general", help="疑难复杂/一般性 Complex or general", show_default=False)] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="类型 Type")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """分类:类别、一般/疑难复杂、类型;原值留在办理记录中。 Classify a demand."""
    s: Session = ctx.obj
    complexity = None if complex_ is None else ("complex" if complex_ else "general")
    _stepped(s, s.ledger(db).demands.classify(number, category=category, complexity=complexity,
                                              type=type_, on=date_), "classify")


@issue_app.command("correct")
def issue_correct(
    ctx: typer.Context,
    number: Number,
    text: Annotated[str, typer.Option("--text", help="更正后的诉求内容 Corrected text")],
    reason: ReasonOpt, date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """更正诉求内容;原文保留在办理记录中。 Correct the text, keeping the original."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.correct(number, text, reason=reason, on=date_), "correct")


@issue_app.command("settle")
def issue_settle(
    ctx: typer.Context,
    number: Number,
    result: Annotated[str, typer.Option("--result", help="解决情况 How it was settled")],
    feedback: FeedbackOpt = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """当场解决(小事不出村)。 Settled on the spot."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.settle(number, result=result, feedback=feedback, on=date_),
             "settle")


@issue_app.command("escalate")
def issue_escalate(ctx: typer.Context, number: Number, reason: ReasonOpt, date_: DateOpt = None,
                   db: DbOpt = None) -> None:
    """上报一级(村→镇→县),说明本级无法解决的过程和原因。 Escalate one level up."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.escalate(number, reason=reason, on=date_), "escalate")


@issue_app.command("assign")
def issue_assign(
    ctx: typer.Context,
    number: Number,
    unit: Annotated[str, typer.Option("--unit", help="牵头单位 Lead unit")],
    co_unit: Annotated[Optional[list[str]], typer.Option("--co-unit", help="配合单位,可多次 Cooperating unit")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", help="责任人 Responsible person")] = None,
    locality: Annotated[Optional[str], typer.Option("--locality", help="属地村/社区(双向派单,与责任单位共同办理) || Village or community working the case with the unit (both ways)")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """交办给责任单位(牵头、配合、责任人,可同时派给属地村/社区)。 Assign to a unit."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.assign(number, unit=unit, co_units=co_unit or [],
                                            handler=handler, locality=locality, on=date_),
             "assign")


@issue_app.command("whistle")
def issue_whistle(
    ctx: typer.Context,
    number: Number,
    unit: Annotated[list[str], typer.Option("--unit", help="召集的单位,可多次 Unit summoned")],
    reason: Annotated[Optional[str], typer.Option("--reason", help="原因 Reason")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """吹哨:召集多个单位共同处理。 Whistle: summon several units."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.whistle(number, units=unit, reason=reason, on=date_), "whistle")


@issue_app.command("report-in")
def issue_report_in(
    ctx: typer.Context,
    number: Number, unit: Annotated[str, typer.Option("--unit", help="报到单位 Unit")],
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """报到:被召集的单位到场。 A summoned unit reports in."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.report_in(number, unit=unit, on=date_), "report_in")


@issue_app.command("take-charge")
def issue_take_charge(
    ctx: typer.Context,
    number: Number, leader: Annotated[str, typer.Option("--leader", help="包案领导 Leader")],
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """包案:领导亲自负责。 A named leader takes charge."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.take_charge(number, leader=leader, on=date_), "take_charge")


@issue_app.command("supervise")
def issue_supervise(
    ctx: typer.Context,
    number: Number, leader: Annotated[str, typer.Option("--leader", help="督办领导 Supervising leader")],
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """督办:领导督办此诉求(不同于包案)。 A leader supervises the demand (not taking charge)."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.supervise(number, leader=leader, on=date_), "supervise")


@issue_app.command("return")
def issue_return(
    ctx: typer.Context,
    number: Number, unit: Annotated[str, typer.Option("--unit", help="退回的单位 Unit")],
    reason: ReasonOpt, date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """退回:责任单位说明理由后退回。 The lead unit sends the case back."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.return_(number, unit=unit, reason=reason, on=date_), "return")


@issue_app.command("receive")
def issue_receive(
    ctx: typer.Context,
    number: Number,
    unit: Annotated[Optional[str], typer.Option("--unit", help="签收单位(默认牵头单位,也可为配合单位) || Unit signing (default: the lead unit; or a cooperating unit)")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """签收:牵头单位或配合单位签收交办的诉求。 Sign for an assigned demand."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.receive(number, unit=unit, on=date_), "receive")


@issue_app.command("urge")
def issue_urge(
    ctx: typer.Context,
    number: Number,
    text: Annotated[Optional[str], typer.Option("--text", help="催办内容 What the urge notice says")] = None,
    copy: Annotated[Optional[str], typer.Option("--copy", help="抄送分管领导 Leader in charge copied")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """催办:向责任单位发催办通知(可抄送分管领导)。 Urge the unit handling a demand."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.urge(number, text=text, copy=copy, on=date_), "urge")


@issue_app.command("notify")
def issue_notify(
    ctx: typer.Context,
    number: Number, text: Annotated[str, typer.Option("--text", help="告知内容 What the resident was told")],
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """告知群众办理进度。 Progress notice to the resident."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.notify(number, text=text, on=date_), "notify")


@issue_app.command("extend")
def issue_extend(
    ctx: typer.Context,
    number: Number, reason: ReasonOpt,
    approver: Annotated[str, typer.Option("--approver", help="审批人 Who approved")],
    days: Annotated[Optional[int], typer.Option("--days", help="延长天数 Days added")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """延期:说明原因和审批人。 Extend the deadline."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.extend(number, reason=reason, approver=approver, days=days,
                                            on=date_), "extend")


@issue_app.command("suspend")
def issue_suspend(ctx: typer.Context, number: Number, reason: ReasonOpt, date_: DateOpt = None,
                  db: DbOpt = None) -> None:
    """挂起:暂停计时(如等待群众补充材料)。 Suspend (pause the clock)."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.suspend(number, reason=reason, on=date_), "suspend")


@issue_app.command("resume")
def issue_resume(ctx: typer.Context, number: Number, date_: DateOpt = None, db: DbOpt = None) -> None:
    """恢复办理。 Resume a suspended demand."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.resume(number, on=date_), "resume")


@issue_app.command("resolve")
def issue_resolve(
    ctx: typer.Context,
    number: Number, result: Annotated[str, typer.Option("--result", help="办理结果 Result")],
    feedback: FeedbackOpt = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """办结:记录结果和向群众反馈情况。 Resolve a demand."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.resolve(number, result=result, feedback=feedback, on=date_),
             "resolve")


@issue_app.command("follow-up")
def issue_follow_up(
    ctx: typer.Context,
    number: Number,
    satisfaction: Annotated[str, typer.Option("--satisfaction", help="满意|基本满意|不满意 || satisfied|basically|dissatisfied (满意|基本满意|不满意)")],
    note: Annotated[Optional[str], typer.Option("--note", help="回访情况 Notes")] = None,
    reopen: Annotated[bool, typer.Option("--reopen", help="不满意时重新办理 Reopen when dissatisfied")] = False,
    by: Annotated[Optional[str], typer.Option("--by", help="回访人:单位或村/社区(双向回访) || Who followed up: a unit, or the village or community")] = None,
    method: Annotated[Optional[str], typer.Option("--method", help="回访方式:电话/现场/入户/短信…… || How: 电话/现场/入户/短信 ...")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """回访:群众满意度;不满意可加 --reopen 重新办理。 Follow up with the resident."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.follow_up(number, satisfaction=satisfaction, note=note,
                                               reopen=reopen, by=by, method=method, on=date_),
             "follow_up")


@issue_app.command("close")
def issue_close(
    ctx: typer.Context,
    number: Number,
    reason: Annotated[Optional[str], typer.Option("--reason", help="原因(不满意仍销号时必填) || Reason (needed when closing a dissatisfied case)")] = None,
    date_: DateOpt = None, db: DbOpt = None,
) -> None:
    """销号:已办结并回访的诉求。 Close out a resolved, followed-up demand."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.close(number, reason=reason, on=date_), "close")


@issue_app.command("reopen")
def issue_reopen(ctx: typer.Context, number: Number, reason: ReasonOpt, date_: DateOpt = None,
                 db: DbOpt = None) -> None:
    """重新办理已办结或已销号的诉求。 Reopen a resolved or closed demand."""
    s: Session = ctx.obj
    _stepped(s, s.ledger(db).demands.reopen(number, reason=reason, on=date_), "reopen")


@issue_app.command("show")
def issue_show(ctx: typer.Context, number: Number, db: DbOpt = None) -> None:
    """显示一件诉求及其全部办理记录。 Show a demand with its full history."""
    s: Session = ctx.obj
    render = s.render()
    d = s.ledger(db).demands.show(number)
    s.print(render.demand_detail(d, s.lang))
    warn_provisional(s, [d])


@issue_app.command("list")
def issue_list(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option("--status", help="办理中/已挂起/已办结/已销号(open|suspended|resolved|closed) || open|suspended|resolved|closed (办理中/已挂起/已办结/已销号)")] = None,
    village: VillageOpt = None,
    category: CategoryOpt = None,
    unit: Annotated[Optional[str], typer.Option("--unit", help="责任单位(牵头或配合) Unit, lead or cooperating")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="village|township|county")] = None,
    resident: ResidentOpt = None,
    since: ReceivedFromOpt = None,
    until: ReceivedToOpt = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=0, help="最多显示条数(表格默认 1000,0 为全部) || At most this many (table: 1000 by default; 0: all)")] = None,
    fmt: BookFormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """诉求台账,可按状态、村、类别、单位、层级、反映人、日期筛选。 List demands."""
    s: Session = ctx.obj
    fmt = output_format(fmt, output, xlsx=True)
    if fmt == "xlsx":
        from .deadlines import _book_name, _demands_book

        def build(path: Path) -> None:
            from ..io.xlsx import _period

            ledger = s.ledger(db)
            rows = ledger.demands.list(status=status, village=village, category=category,
                                       unit=unit, level=level, resident=resident, since=since,
                                       until=until, limit=limit or None)
            _demands_book(s, ledger, "issue_list", path, rows,
                          period=_period(s.lang, since, until))

        write_workbook(s, output, _book_name(s, "issue_list"), build, force=force, db=db)
        return
    with s.output_to(output, fmt, force=force, db=db):
        _issue_list(s, status, village, category, unit, level, resident, since, until, limit,
                    fmt, db)


def _issue_list(s: Session, status: str | None, village: str | None, category: str | None,
                unit: str | None, level: str | None, resident: str | None, since: str | None,
                until: str | None, limit: int | None, fmt: str, db: Path | None) -> None:
    # A screen shows the first thousand; scripts (csv, json) get every row unless they ask.
    shown = limit if limit is not None else (TABLE_LIMIT if fmt == "table" else 0)
    rows = s.ledger(db).demands.list(status=status, village=village, category=category, unit=unit,
                                     level=level, resident=resident, since=since, until=until,
                                     limit=shown + 1 if shown else None)
    more = bool(shown) and len(rows) > shown
    show_demands(s, rows[:shown] if more else rows, fmt)
    if more:
        s.say("list.more", n=shown)
