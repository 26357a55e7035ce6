"""The printed notices (``ledger doc``): Word documents made from templates.

Four kinds of document, each from a docxtpl template (a .docx with ``{{ name }}``
placeholders and ``{%tr for r in rows %}`` row loops):

    assign      交办单       the case as the lead unit receives it
    urge        催办通知书   to the lead unit of a case past its deadline, copied to a leader
    follow-up   回访记录表   the week's resolved demands, one row each, to be filled in
    resident    一人一账     one resident's page

The template is the township's own when one is installed in the ledger (``ledger doc
template install``, stored in its ``templates`` table), else the one shipped in the package
(``ledger/templates/KIND.docx``, made by ``ledger/templates/make_templates.py``). A template
is rendered in Jinja's sandbox, with every value escaped for the XML of the document: a
template from a file can name placeholders, not run code, and no text of the ledger can break
the document. ``PLACEHOLDERS`` is the documented list (the README's table); a template that
names anything else is refused when installed, as is a file that is not a .docx, or one that
does not render.

docxtpl and python-docx are imported here only, inside the functions: no other command pays
for them at start-up.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from ..errors import BadInput

KINDS = ("assign", "urge", "follow-up", "resident")

# The document titles, which also begin the default file names.
TITLES = {"assign": "交办单", "urge": "催办通知书", "follow-up": "回访记录表",
          "resident": "一人一账"}

# Placeholders every document has.
COMMON = {
    "township": "镇/街道名称(台账中的) || the township's name, from the ledger",
    "title": "文书名称,如 交办单 || the document's name, e.g. 交办单",
    "printed_on": "打印日期 2026-12-01 || the day printed",
    "printed_on_cn": "打印日期 2026年12月1日 || the day printed, in Chinese",
    "printed_by": "经办人(--user) || who printed it (--user)",
}

# Placeholders of each kind of document (besides COMMON): name -> "中文 || English".
# Rows of the tables are ``rows`` (a list; each row's fields below as ``r.NAME``).
_DEMAND = {
    "number": "诉求编号 || demand number",
    "text": "诉求内容 || what the resident raised",
    "received_on": "受理日期 || day received",
    "received_on_cn": "受理日期(中文) || day received, in Chinese",
    "village": "村/社区 || village",
    "grid": "网格 || grid",
    "resident": "反映人姓名 || resident's name",
    "resident_phone": "反映人电话(打码,--unmask 显示全部) || resident's phone (masked unless --unmask)",
    "channel": "受理渠道 || channel",
    "category": "诉求类别 || category",
    "complexity": "一般性 / 疑难复杂 || general / complex",
    "type": "诉求类型 || type",
    "level": "层级 村级/镇级/县级 || level",
    "lead_unit": "牵头单位 || lead unit",
    "co_units": "配合单位(、分隔) || cooperating units, joined with 、",
    "handler": "责任人 || responsible person",
    "leader": "包案领导 || leader in charge (包案)",
    "supervisor": "督办领导 || supervising leader (督办)",
    "assigned_on": "交办日期 || day assigned",
    "assigned_on_cn": "交办日期(中文) || day assigned, in Chinese",
    "due_on": "办理时限(* 为暂按周末计算) || deadline (* when provisional)",
    "due_on_cn": "办理时限(中文) || deadline, in Chinese",
    "due_rule": "时限规则,如 1个工作日 || the clock, e.g. 7个工作日",
    "status": "状态 || status",
}
PLACEHOLDERS: dict[str, dict[str, str]] = {
    "assign": {
        **_DEMAND,
        "reason": "交办缘由:上报的过程和原因 || why it came up: the reasons it was escalated",
        "quality": "办理要求(--quality,默认见 README) || quality required (--quality)",
    },
    "urge": {
        **_DEMAND,
        "days_late": "超期工作日数(未超期为 0) || working days late (0 when not yet late)",
        "urges": "第几次催办(含本次记录) || how many urges recorded",
        "last_urged_on": "最近催办日期 || day of the last urge",
        "urge_text": "催办内容(催办记录的 --text,或默认要求) || what the urge asks",
        "copy": "抄送(催办的 --copy,或督办领导) || copied to: the urge's --copy, or the 督办 leader",
    },
    "follow-up": {
        "week_start": "本周起(星期二) || the week's Tuesday",
        "week_end": "本周止(下星期一) || the week's Monday",
        "count": "件数 || how many rows",
        "rows": "每件一行:r.number r.resident r.phone r.text r.result r.resolved_on r.unit;"
                "r.date r.satisfaction r.method r.visitor r.note 为空,供填写 || one per "
                "demand: r.number r.resident r.phone r.text r.result r.resolved_on r.unit; "
                "r.date r.satisfaction r.method r.visitor r.note blank, to be filled in",
    },
    "resident": {
        "name": "姓名 || name",
        "resident_no": "台账编号 #12 || ledger number",
        "village": "村/社区 || village",
        "grid": "网格 || grid",
        "phone": "电话(打码) || phone (masked unless --unmask)",
        "id_number": "身份证号(打码) || ID number (masked unless --unmask)",
        "address": "住址 || address",
        "tags": "标签 || tags",
        "note": "备注 || note",
        "visits": "走访:r.date r.village r.channel r.cadres r.note || visits",
        "demands": "诉求:r.number r.received_on r.text r.status r.unit r.due_on r.resolved_on "
                   "r.satisfaction r.outcome || demands",
    },
}


def placeholders(kind: str) -> dict[str, str]:
    """Every placeholder a template of ``kind`` may name."""
    return {**COMMON, **PLACEHOLDERS[kind]}


def kind_of(value: str) -> str:
    """A kind of document as typed (``follow_up`` is ``follow-up``)."""
    kind = (value or "").strip().lower().replace("_", "-")
    if kind not in KINDS:
        raise BadInput("enum.unknown", what="document", name=value, choices=list(KINDS))
    return kind


def default_template(kind: str) -> bytes:
    """The template shipped with ledger."""
    from importlib.resources import files

    return (files("ledger") / "templates" / f"{kind}.docx").read_bytes()


# A template's work is bounded: every loop of it counts against one budget of iterations
# and of seconds per rendering (loops nested inside one another, each under the sandbox's
# limit, multiply), and ``*`` / ``**`` may not make a value larger than MAX_VALUE.
MAX_ITERATIONS = 1_000_000
MAX_SECONDS = 5.0
MAX_VALUE = 1_000_000  # characters of a text or items of a list a ``*`` may make


def _environment() -> Any:
    """Jinja's sandbox, with every ``{% for %}`` counted (``MAX_ITERATIONS`` and
    ``MAX_SECONDS`` for the whole document), ``*`` and ``**`` bounded, and no ``lipsum``."""
    import functools
    import operator
    import time

    from jinja2 import nodes
    from jinja2.sandbox import SandboxedEnvironment

    class Bounded(SandboxedEnvironment):
        intercepted_binops = frozenset(["*", "**"])

        def _parse(self, source: str, name: Any, filename: Any) -> Any:
            tree = super()._parse(source, name, filename)
            for node in list(tree.find_all(nodes.For)):
                node.iter = nodes.Filter(node.iter, "_ledger_counted", [], [], None, None,
                                         lineno=node.lineno)
            return tree

        def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
            if operator_ == "**":
                if isinstance(right, (int, float)) and abs(right) > 64:
                    raise _too_big()
                return operator.pow(left, right)
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) \
                        and len(seq) * n > MAX_VALUE:
                    raise _too_big()
            return operator.mul(left, right)

    env = Bounded(autoescape=True)
    env.globals.pop("lipsum", None)
    started = time.monotonic()
    done = [0]

    def counted(iterable: Any) -> Any:
        for item in iterable:
            done[0] += 1
            if done[0] > MAX_ITERATIONS or (
                    not done[0] & 1023 and time.monotonic() - started > MAX_SECONDS):
                raise _too_big()
            yield item

    def bounded(f: Any) -> Any:
        """A filter refusing a width or count past MAX_VALUE (``center(999999999)``)."""
        @functools.wraps(f)
        def g(*args: Any, **kwargs: Any) -> Any:
            for x in (*args[1:], *kwargs.values()):
                if isinstance(x, int) and not isinstance(x, bool) and abs(x) > MAX_VALUE:
                    raise _too_big()
            return f(*args, **kwargs)
        return g

    env.filters = {name: bounded(f) for name, f in env.filters.items()}
    env.filters["_ledger_counted"] = counted
    return env


def _too_big() -> BadInput:
    return BadInput("doc.template_too_big", iterations=MAX_ITERATIONS, seconds=MAX_SECONDS)


def render(template: bytes, context: dict[str, Any]) -> bytes:
    """The document: ``template`` with ``context`` filled in, as .docx bytes."""
    from docxtpl import DocxTemplate

    doc = DocxTemplate(io.BytesIO(template))
    doc.render(context, _environment(), autoescape=True)
    props = doc.docx.core_properties  # what Word shows as the file's title
    props.title = f"{context.get('township') or ''}{context.get('title') or ''}"[:255]
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def validate(kind: str, content: bytes, file: str) -> None:
    """Refuse a template that is not a Word .docx, names a placeholder ``kind`` does not
    have, or does not render with a sample of every placeholder."""
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise BadInput("doc.template_not_docx", file=file)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            if "word/document.xml" not in z.namelist():
                raise BadInput("doc.template_not_docx", file=file)
    except zipfile.BadZipFile:
        raise BadInput("doc.template_not_docx", file=file) from None
    from docxtpl import DocxTemplate

    try:
        doc = DocxTemplate(io.BytesIO(content))
        named = doc.get_undeclared_template_variables(_environment())
    except BadInput:
        raise
    except Exception as e:  # a template Jinja cannot parse: its one line
        raise BadInput("doc.template_broken", file=file, why=_why(e)) from None
    unknown = sorted(set(named) - set(placeholders(kind)))
    if unknown:
        raise BadInput("doc.template_unknown", file=file, names=unknown,
                       choices=sorted(placeholders(kind)))
    try:
        render(content, sample(kind))
    except BadInput as e:  # past the bounds of a template's work
        raise BadInput("doc.template_bomb", file=file, **e.params) from None
    except Exception as e:
        raise BadInput("doc.template_broken", file=file, why=_why(e)) from None


def _why(e: Exception) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:200]


def sample(kind: str) -> dict[str, Any]:
    """A context with every placeholder of ``kind`` (to try a template)."""
    ctx: dict[str, Any] = {k: f"〔{k}〕" for k in placeholders(kind)}
    if kind == "urge":
        ctx.update(days_late=3, urges=2)
    if kind == "follow-up":
        row = dict.fromkeys(("number", "resident", "phone", "text", "result", "resolved_on",
                             "unit", "date", "satisfaction", "method", "visitor", "note"), "…")
        ctx.update(count=1, rows=[row])
    if kind == "resident":
        ctx["visits"] = [dict.fromkeys(("date", "village", "channel", "cadres", "note"), "…")]
        ctx["demands"] = [dict.fromkeys(("number", "received_on", "text", "status", "unit",
                                         "due_on", "resolved_on", "satisfaction", "outcome"),
                                        "…")]
    return ctx


def text_of(content: bytes) -> str:
    """The text of a .docx, paragraphs and table cells, header and footer (for tests and
    for a clerk's quick look)."""
    from docx import Document

    doc = Document(io.BytesIO(content))
    lines: list[str] = []

    def walk(container: Any) -> None:
        for p in container.paragraphs:
            lines.append(p.text)
        for t in container.tables:
            for row in t.rows:
                seen: list[Any] = []
                cells = []
                for c in row.cells:
                    if c._tc in seen:  # a merged cell appears once
                        continue
                    seen.append(c._tc)
                    cells.append(c.text)
                lines.append(" | ".join(cells))

    walk(doc)
    for section in doc.sections:
        walk(section.footer)
    return "\n".join(lines)
