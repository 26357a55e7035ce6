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
# The commands that also write an Excel workbook (--format xlsx, or an .xlsx name to -o).
BookFormatOpt = Annotated[str, typer.Option(
    "--format", help="table、csv、json 或 xlsx(Excel 工作簿;-o 给 .xlsx 文件名亦可) || table, csv, json or xlsx (an Excel workbook; or give -o a .xlsx name)")]
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


def output_format(fmt: str, output: Path | None = None, *, xlsx: bool = False) -> str:
    """The value of ``--format``: table, csv or json (any case, spaces around ignored); with
    ``xlsx`` also xlsx, which an ``output`` named ``*.xlsx`` implies (and another explicit
    format than the table is refused for it)."""
    from ..errors import BadInput

    value = (fmt or "table").strip().lower()
    choices = (*FORMATS, "xlsx") if xlsx else FORMATS
    if value not in choices:
        raise BadInput("enum.unknown", what="format", name=fmt, choices=list(choices))
    if xlsx and output is not None and output.suffix.lower() == ".xlsx" and value != "xlsx":
        if value != "table":
            raise BadInput("xlsx.format_conflict", path=str(output), fmt=value)
        value = "xlsx"
    return value
