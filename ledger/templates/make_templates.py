"""Make the default templates of the printed notices (``ledger doc``), with python-docx.

    python ledger/templates/make_templates.py        # writes ledger/templates/*.docx

The .docx files it writes are committed and shipped in the package; run it again after
changing this script (the tests check that the files it writes are those committed, by
their text). Each template is a docxtpl template: ``{{ name }}`` placeholders (listed, with
their meaning, in ``ledger.io.docs.PLACEHOLDERS`` and the README) and, in the tables, row
loops ``{%tr for r in rows %} ... {%tr endfor %}``.

The page is the Chinese official-document page (GB/T 9704, 党政机关公文格式): A4, margins
37 mm top, 35 mm bottom, 28 mm left, 26 mm right; the title in 方正小标宋简体 二号 (22 pt),
the text in 仿宋_GB2312 三号 (16 pt), tables in 仿宋_GB2312 小四 (12 pt) with 黑体 headers,
the page number ``— 1 —`` in 宋体 四号 at the foot. Every font is named in the file's font
table with the font a Windows PC without it has (``altName``: 方正小标宋简体 -> 宋体,
仿宋_GB2312 -> 仿宋); LibreOffice finds a Chinese font through fontconfig (Noto Serif CJK SC
from Debian's fonts-noto-cjk) for text marked zh-CN, as all of it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEAD_FONT = "黑体"
PAGE_FONT = "宋体"
LATIN_FONT = "Times New Roman"

# The font table: each font with what Word (and WPS) use on a PC that lacks it.
FONTS = {
    TITLE_FONT: ("宋体", "02000000000000000000", "86", "script"),
    BODY_FONT: ("仿宋", "02010609030101010101", "86", "modern"),
    HEAD_FONT: ("SimHei", "02010609060101010101", "86", "modern"),
    PAGE_FONT: ("SimSun", "02010600030101010101", "86", "auto"),
    "仿宋": ("FangSong", "02010609060101010101", "86", "modern"),
    LATIN_FONT: ("", "02020603050405020304", "00", "roman"),
}

BODY = Pt(16)   # 三号
TABLE = Pt(12)  # 小四
SMALL = Pt(10.5)  # 五号


# --- the page, the fonts, the page number ---------------------------------------------------

def new_document(landscape: bool = False) -> Document:
    doc = Document()
    _defaults(doc)
    _font_table(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(25), Mm(25)
        section.left_margin, section.right_margin = Mm(25), Mm(25)
    else:
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    _page_number(section)
    # The core properties: no author from the machine that made the template.
    props = doc.core_properties
    props.author = props.last_modified_by = "ledger"
    props.title = props.subject = props.keywords = props.comments = ""
    return doc


def _defaults(doc: Document) -> None:
    """Every run: Times New Roman for Latin letters and digits, 仿宋_GB2312 for Chinese,
    16 pt, marked Chinese (zh-CN) so that LibreOffice picks a Chinese font; no theme fonts
    (the python-docx template's Japanese East-Asian theme font would win over a name)."""
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(rpr):
        rpr.remove(child)
    rpr.append(_rfonts(BODY_FONT))
    rpr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="32"/>'))
    rpr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="32"/>'))
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="zh-CN" '
                         'w:bidi="ar-SA"/>'))
    for style in doc.styles:
        el = style.element
        spr = el.find(qn("w:rPr"))
        if spr is not None:
            for f in spr.findall(qn("w:rFonts")):
                spr.remove(f)
    normal = doc.styles["Normal"]
    normal.font.size = BODY
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(28)  # 公文: 22 lines a page at 三号


def _rfonts(east_asian: str) -> object:
    return parse_xml(f'<w:rFonts {nsdecls("w")} w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" '
                     f'w:eastAsia="{east_asian}" w:cs="{LATIN_FONT}" w:hint="eastAsia"/>')


def _font_table(doc: Document) -> None:
    part = next(p for p in doc.part.package.iter_parts()
                if str(p.partname) == "/word/fontTable.xml")
    fonts = []
    for name, (alt, panose, charset, family) in FONTS.items():
        alt_xml = f'<w:altName w:val="{alt}"/>' if alt else ""
        fonts.append(f'<w:font w:name="{name}">{alt_xml}<w:panose1 w:val="{panose}"/>'
                     f'<w:charset w:val="{charset}"/><w:family w:val="{family}"/>'
                     '<w:pitch w:val="variable"/></w:font>')
    part._blob = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                  '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                  + "".join(fonts) + "</w:fonts>").encode("utf-8")


def _page_number(section) -> None:
    """``— 1 —`` centred at the foot of every page (a PAGE field, so Word, WPS and
    LibreOffice each number the pages as they lay them out)."""
    footer = section.footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "— ", PAGE_FONT, Pt(14))
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        r = _run(p, "", PAGE_FONT, Pt(14))
        if kind:
            r._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="{kind}"/>'))
        elif text == " PAGE ":
            r._r.append(parse_xml(f'<w:instrText {nsdecls("w")} xml:space="preserve"> PAGE </w:instrText>'))
        else:
            r.text = text
    _run(p, " —", PAGE_FONT, Pt(14))


# --- paragraphs, runs, tables ---------------------------------------------------------------

def _run(p, text: str, font: str = BODY_FONT, size=BODY, bold: bool = False):
    r = p.add_run(text)
    rpr = r._r.get_or_add_rPr()
    rpr.insert(0, _rfonts(font))
    r.font.size = size
    if bold:
        r.bold = True
    return r


def para(doc_or_cell, text: str = "", *, font: str = BODY_FONT, size=BODY, bold: bool = False,
         align=None, indent: bool = False, before: float = 0, after: float = 0,
         line: float | None = None):
    p = doc_or_cell.add_paragraph()
    if text:
        _run(p, text, font, size, bold)
    if align is not None:
        p.alignment = align
    pf = p.paragraph_format
    if indent:
        pf.first_line_indent = Pt(size.pt * 2)  # two characters
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if line is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    return p


def title(doc, text: str, subtitle: str | None = None) -> None:
    para(doc, text, font=TITLE_FONT, size=Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, line=36,
         after=6)
    if subtitle:
        para(doc, subtitle, size=Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER, line=24, after=6)


def table(doc, widths_mm: list[float], *, header: list[str] | None = None):
    t = doc.add_table(rows=0, cols=len(widths_mm))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    tblpr = t._tbl.tblPr
    tblpr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    grid = t._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    t._widths = widths_mm
    if header:
        row = add_row(t, header, font=HEAD_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
        trpr = row._tr.get_or_add_trPr()
        trpr.append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))  # repeated on every page
        trpr.append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
    return t


def add_row(t, texts: list[str], *, font: str = BODY_FONT, size=TABLE, align=None,
            height_mm: float | None = None, bold_first: bool = False):
    row = t.add_row()
    if height_mm:
        row.height = Mm(height_mm)
    for i, (cell, text) in enumerate(zip(row.cells, texts)):
        cell.width = Mm(t._widths[i])
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = cell.paragraphs[0]
        pf = p.paragraph_format
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(size.pt * 1.5)
        if text:
            f = HEAD_FONT if bold_first and i % 2 == 0 and len(texts) > 1 else font
            _run(p, text, f, size)
        if align is not None:
            p.alignment = align
    return row


def loop_rows(t, cells: list[str], *, over: str = "rows", size=TABLE,
              height_mm: float | None = None) -> None:
    """A docxtpl row loop over the list ``over``: the row of placeholders between two
    control rows (``{%tr ... %}`` removes its own row when rendered)."""
    add_row(t, [f"{{%tr for r in {over} %}}"] + [""] * (len(cells) - 1), size=size)
    row = add_row(t, cells, size=size, height_mm=height_mm)
    trpr = row._tr.get_or_add_trPr()
    trpr.append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
    add_row(t, ["{%tr endfor %}"] + [""] * (len(cells) - 1), size=size)


def merge_row(row, first: int, last: int) -> None:
    row.cells[first].merge(row.cells[last])
    cell = row.cells[first]
    for p in cell.paragraphs[1:]:  # merging joins the cells' paragraphs
        if not p.text:
            p._p.getparent().remove(p._p)


# --- the four templates ------------------------------------------------------------------------

def assign() -> Document:
    """交办单: what the lead unit receives with the case."""
    doc = new_document()
    title(doc, "{{ township }}民情诉求交办单")
    para(doc, "交办日期：{{ assigned_on }}　　经办人：{{ printed_by }}", size=Pt(14), line=24,
         align=WD_ALIGN_PARAGRAPH.RIGHT, after=4)
    w = [30, 48, 28, 50]
    t = table(doc, w)
    rows = [
        ("诉求编号", "{{ number }}", "受理日期", "{{ received_on }}"),
        ("反映人", "{{ resident }}", "联系电话", "{{ resident_phone }}"),
        ("村/社区", "{{ village }}{% if grid %} {{ grid }}{% endif %}", "受理渠道", "{{ channel }}"),
        ("诉求类别", "{{ category }}", "难易程度", "{{ complexity }}"),
    ]
    for r in rows:
        add_row(t, list(r), bold_first=True, height_mm=10)
    for label, value, height in (
            ("诉求内容", "{{ text }}", 22),
            ("交办缘由", "{{ reason }}", 20),
            ("牵头单位", "{{ lead_unit }}", 10),
            ("配合单位", "{{ co_units }}", 10),
            ("责任人", "{{ handler }}", 10),
            ("办理时限", "{{ due_on }}前办结{% if due_rule %}（{{ due_rule }}）{% endif %}", 10),
            ("办理要求", "{{ quality }}", 22)):
        row = add_row(t, [label, value, "", ""], bold_first=True, height_mm=height)
        merge_row(row, 1, 3)
    row = add_row(t, ["签收", "签收人：　　　　　　签收日期：　　年　月　日", "", ""],
                  bold_first=True, height_mm=12)
    merge_row(row, 1, 3)
    para(doc, "{{ township }}（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT, before=16)
    para(doc, "{{ printed_on_cn }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return doc


def urge() -> Document:
    """催办通知书: to the lead unit of a case past its deadline, copied to the leader."""
    doc = new_document()
    title(doc, "{{ township }}民情诉求催办通知书")
    para(doc, "编号：{{ number }}{% if urges %}-催{{ urges }}{% endif %}", size=Pt(14), line=24,
         align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    para(doc, "{{ lead_unit }}：")
    para(doc, "{{ received_on_cn }}受理的群众诉求“{{ text }}”（编号{{ number }}，{{ village }}"
         "{% if resident %}，反映人{{ resident }}{% endif %}），于{{ assigned_on_cn }}交你单位牵头办理"
         "{% if co_units %}，{{ co_units }}配合{% endif %}"
         "{% if handler %}，责任人{{ handler }}{% endif %}，办理时限为{{ due_on_cn }}。", indent=True)
    para(doc, "{% if days_late %}截至{{ printed_on_cn }}，该诉求仍未办结，已超过办理时限"
         "{{ days_late }}个工作日。{% else %}截至{{ printed_on_cn }}，该诉求尚未办结，"
         "办理时限将至。{% endif %}{% if urges > 1 %}这是第{{ urges }}次催办。{% endif %}",
         indent=True)
    para(doc, "{{ urge_text }}", indent=True)
    para(doc, "特此通知。", indent=True)
    para(doc, "", line=20)
    para(doc, "{{ township }}（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT, before=12)
    para(doc, "{{ printed_on_cn }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "", line=40)
    # 版记: 抄送 between two lines, at the foot of the text.
    p = para(doc, "{% if copy %}抄送：{{ copy }}。{% else %}抄送：　{% endif %}", size=Pt(14),
             line=26)
    _borders(p, top=True, bottom=True)
    para(doc, "经办人：{{ printed_by }}　　　诉求编号：{{ number }}", size=Pt(12), line=20,
         before=4)
    return doc


def _borders(p, top: bool = False, bottom: bool = False) -> None:
    ppr = p._p.get_or_add_pPr()
    sides = "".join(f'<w:{side} w:val="single" w:sz="8" w:space="1" w:color="000000"/>'
                    for side, on in (("top", top), ("bottom", bottom)) if on)
    ppr.append(parse_xml(f'<w:pBdr {nsdecls("w")}>{sides}</w:pBdr>'))


def follow_up() -> Document:
    """回访记录表: one row per demand resolved in the week, the follow-up to be written in."""
    doc = new_document(landscape=True)
    title(doc, "{{ township }}民情诉求回访记录表",
          "办结日期：{{ week_start }} 至 {{ week_end }}　　共 {{ count }} 件")
    # 编号 wide enough for 2026-000030 on one line in 五号 with the cell's margins (26 mm
    # broke it after the hyphen in LibreOffice with the Noto CJK fonts).
    w = [20, 30, 28, 50, 53, 33, 20, 13]
    t = table(doc, w, header=["日期", "编号", "受访人", "诉求内容", "反馈意见", "回访方式",
                              "回访人", "备注"])
    loop_rows(t, ["{{ r.date }}", "{{ r.number }}", "{{ r.resident }}{% if r.phone %}"
                  " {{ r.phone }}{% endif %}", "{{ r.text }}",
                  "　□满意 □基本满意 □不满意", "　□电话 □现场", "{{ r.visitor }}", "{{ r.note }}"],
              size=SMALL, height_mm=13)
    para(doc, "说明：反馈意见、回访方式请在相应“□”内打“√”；不满意的，请在备注中写明原因。"
         "打印：{{ printed_by }}，{{ printed_on }}。", size=SMALL, line=18, before=6)
    return doc


def resident() -> Document:
    """一人一账: one resident's page."""
    doc = new_document()
    title(doc, "{{ township }}一人一账", "群众诉求台账　　打印日期：{{ printed_on }}")
    w = [26, 52, 26, 52]
    t = table(doc, w)
    for r in (("姓名", "{{ name }}", "台账编号", "{{ resident_no }}"),
              ("村/社区", "{{ village }}", "网格", "{{ grid }}"),
              ("联系电话", "{{ phone }}", "身份证号", "{{ id_number }}")):
        add_row(t, list(r), bold_first=True, height_mm=9)
    for label, value in (("住址", "{{ address }}"), ("标签", "{{ tags }}"),
                         ("备注", "{{ note }}")):
        row = add_row(t, [label, value, "", ""], bold_first=True, height_mm=9)
        merge_row(row, 1, 3)
    para(doc, "走访记录（共 {{ visits|length }} 次）", font=HEAD_FONT, size=Pt(14), line=24,
         before=12, after=4)
    t = table(doc, [24, 26, 26, 30, 50], header=["日期", "村/社区", "渠道", "走访干部", "情况"])
    loop_rows(t, ["{{ r.date }}", "{{ r.village }}", "{{ r.channel }}", "{{ r.cadres }}",
                  "{{ r.note }}"], over="visits", size=SMALL)
    para(doc, "诉求及办理情况（共 {{ demands|length }} 件）", font=HEAD_FONT, size=Pt(14),
         line=24, before=12, after=4)
    t = table(doc, [29, 23, 33, 15, 24, 32], header=["编号", "受理日期", "诉求内容", "状态",
                                                      "责任单位", "结果"])
    loop_rows(t, ["{{ r.number }}", "{{ r.received_on }}", "{{ r.text }}", "{{ r.status }}",
                     "{{ r.unit }}", "{{ r.outcome }}"], over="demands", size=SMALL)
    return doc


TEMPLATES = {"assign": assign, "urge": urge, "follow-up": follow_up, "resident": resident}


def build(kind: str) -> bytes:
    import io

    out = io.BytesIO()
    TEMPLATES[kind]().save(out)
    return out.getvalue()


def main(folder: Path = HERE) -> None:
    for kind in TEMPLATES:
        path = folder / f"{kind}.docx"
        path.write_bytes(build(kind))
        print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
