"""The options and arguments that several commands share, declared once: the same flag, the
same help text, the same checks wherever it appears. An option that only one command has
stays with that command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

DbOpt = Annotated[Optional[Path], typer.Option(
    "--db", show_default=False, dir_okay=False,
    help="台账文件(默认:$LEDGER_DB 或用户应用目录) || Ledger file (default: $LEDGER_DB, or the app folder)")]
DateOpt = Annotated[Optional[str], typer.Option(
    "--date", show_default=False, help="日期,如 2026-11-17、11-17、昨天、上周二(默认今天) || Date, e.g. 2026-11-17, 11-17, 昨天, 上周二 (default: today)")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="原因 Reason")]
OutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", help="写入文件(UTF-8),- 为标准输出 || Write to this file instead (- for standard output)")]
FormatOpt = Annotated[str, typer.Option(
    "--format", help="table、csv 或 json(键名见 README) || table, csv or json (keys: README)")]
Number = Annotated[str, typer.Argument(help="诉求编号,如 2026-000123 || Demand number, e.g. 2026-000123",
                                       show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="替换已有文件(不加则不覆盖任何已有文件) Replace an existing file (never without it)")]

VillageOpt = Annotated[Optional[str], typer.Option("--village", help="村/社区 Village")]
GridOpt = Annotated[Optional[str], typer.Option("--grid", help="网格 Grid")]
PhoneOpt = Annotated[Optional[str], typer.Option("--phone", help="电话 Phone")]
ResidentOpt = Annotated[Optional[str], typer.Option("--resident", help="反映人 Resident")]
CategoryOpt = Annotated[Optional[str], typer.Option("--category", help="类别 Category")]
FeedbackOpt = Annotated[Optional[str], typer.Option("--feedback", help="反馈情况 Feedback given")]
ReceivedFromOpt = Annotated[Optional[str], typer.Option("--from", help="受理日期起 Received from")]
ReceivedToOpt = Annotated[Optional[str], typer.Option("--to", help="受理日期止 Received until")]

FORMATS = ("table", "csv", "json")


def output_format(fmt: str) -> str:
    """The value of ``--format``: table, csv or json (any case, spaces around ignored)."""
    from ..errors import BadInput

    value = (fmt or "table").strip().lower()
    if value not in FORMATS:
        raise BadInput("enum.unknown", what="format", name=fmt, choices=list(FORMATS))
    return value
