"""The printed notices (ledger doc): 交办单, 催办通知书, 回访记录表, 一人一账.

Each document is read back with python-docx and checked for what a clerk looks for on the
paper: the demand's number, the unit, the deadline, the working days late, the township's
name; the print is in the journal and `ledger check` still passes. The templates: the
township's own when installed, the default after reset, and bad files refused with nothing
written. The PDF tests convert every document with LibreOffice (skipped, with the reason,
only where soffice or pdftotext is missing; CI installs them).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from typer.testing import CliRunner

from ledger.io import docs
from ledger.services import Ledger, open_ledger

from .conftest import ID_1, Cli, invoke

N = "2026-000001"  # the assigned, overdue demand of `township`
OTHER = "2026-000002"  # resolved in the week of 2026-11-10
LIVE = "2026-000003"  # assigned, not yet due


def text(path: Path) -> str:
    return docs.text_of(path.read_bytes())


def journal(cli: Cli, action: str = "print") -> list[dict]:
    L = cli.ledger()
    rows = [dict(r) for r in L.db.query(
        "select subject, subject_id, action, on_date, actor, data from journal "
        "where action = ? order by id", [action])]
    for r in rows:
        r["data"] = json.loads(r["data"])
    L.db.conn.close()
    return rows


def check_passes(cli: Cli) -> None:
    r = cli("check")
    assert r.exit_code == 0, r.output


# Three demands of 张秀兰 and others: one escalated to the county and assigned (due
# 2026-11-12, so 3 working days late on 2026-11-17), one resolved on 2026-11-13, one
# assigned on the 17th and not yet due.
TOWNSHIP_STEPS = [
    ("issue", "add", "屋顶漏水,墙体开裂", "--village", "东坪村", "--resident", "张秀兰",
     "--channel", "入户走访", "--date", "2026-11-10"),
    ("issue", "escalate", N, "--reason", "房屋主体结构问题,村里无力维修", "--date", "2026-11-10"),
    ("issue", "escalate", N, "--reason", "需县住建局鉴定", "--date", "2026-11-11"),
    ("issue", "assign", N, "--unit", "县住建局", "--co-unit", "镇综治中心", "--handler",
     "周工", "--date", "2026-11-11"),
    ("issue", "add", "路灯坏了", "--village", "西岭村", "--resident", "王芳/西岭村",
     "--date", "2026-11-10"),
    ("issue", "resolve", OTHER, "--result", "已更换灯泡", "--date", "2026-11-13"),
    ("issue", "add", "噪声扰民", "--village", "河口社区", "--level", "township",
     "--date", "2026-11-17"),
    ("issue", "assign", LIVE, "--unit", "镇司法所", "--date", "2026-11-17"),
]


@pytest.fixture
def township(cli: Cli) -> Cli:
    """The small township with TOWNSHIP_STEPS entered."""
    for args in TOWNSHIP_STEPS:
        r = cli(*args)
        assert r.exit_code == 0, (args, r.output)
    return cli


# --- 交办单 --------------------------------------------------------------------------------

def test_the_assignment_notice_says_what_the_lead_unit_must_know(township: Cli,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "交办单.docx"
    r = township("doc", "assign", N, "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "交办单" in r.output and str(out) in r.output
    body = text(out)
    assert "青石镇民情诉求交办单" in body
    for expected in (N, "县住建局", "镇综治中心", "周工", "2026-11-12前办结（1个工作日）",
                     "张秀兰", "138****5678", "屋顶漏水,墙体开裂", "东坪村",
                     "房屋主体结构问题,村里无力维修；需县住建局鉴定", "2026-11-11",
                     "经办人：刘洁", "2026年11月17日"):
        assert expected in body, expected
    assert "13812345678" not in body  # masked unless --unmask
    assert "— 1 —" in body  # the page number's field, as written before Word lays it out
    if os.name == "posix":
        assert out.stat().st_mode & 0o777 == 0o600  # names residents in full
    # Recorded on the demand, a no-op for its state; the history lists it.
    [row] = journal(township)
    assert (row["subject"], row["on_date"], row["actor"]) == ("demand", "2026-11-17", "刘洁")
    assert row["data"] == {"document": "assign", "file": "交办单.docx", "template": "default"}
    shown = township("issue", "show", N)
    assert "打印文书" in shown.output and "交办单.docx" in shown.output
    check_passes(township)


def test_a_document_is_an_a4_page_in_official_fonts(township: Cli, tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "a.docx"
    assert township("doc", "assign", N, "-o", str(out)).exit_code == 0
    doc = Document(str(out))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    xml = doc.element.xml
    assert 'w:eastAsia="方正小标宋简体"' in xml and 'w:eastAsia="仿宋_GB2312"' in xml
    assert "PAGE" in section.footer._element.xml  # a page-number field
    import zipfile

    fonts = zipfile.ZipFile(out).read("word/fontTable.xml").decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts


def test_the_default_file_name_is_dated_in_the_current_folder(
        township: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = township("doc", "resident", "王芳/西岭村")  # the '/' of the reference is no folder
    assert r.exit_code == 0, r.output
    assert (tmp_path / "一人一账-3-王芳-2026-11-17.docx").exists()
    r = township("doc", "assign", "1")  # the number's sequence alone, as everywhere
    assert r.exit_code == 0, r.output
    assert (tmp_path / f"交办单-{N}-2026-11-17.docx").exists()
    r = township("doc", "assign", "1")  # never over an existing file without --force
    assert r.exit_code == 1 and "--force" in r.output
    assert len(journal(township)) == 2  # the refused one is not recorded
    assert township("doc", "assign", "1", "--force").exit_code == 0
    assert len(journal(township)) == 3


def test_quality_required_can_be_given(township: Cli, tmp_path: Path) -> None:
    out = tmp_path / "a.docx"
    r = township("doc", "assign", N, "--quality", "三日内入户鉴定并书面答复", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "三日内入户鉴定并书面答复" in text(out)


def test_unmask_shows_the_phone_and_is_recorded(township: Cli, tmp_path: Path) -> None:
    out = tmp_path / "a.docx"
    r = township("doc", "assign", N, "--unmask", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "13812345678" in text(out)
    assert journal(township)[0]["data"]["unmasked"] is True


@pytest.mark.parametrize("args,code,key", [
    (("doc", "assign", "2026-000099"), 2, "没有"),          # unknown demand
    (("doc", "assign", OTHER), 1, "还没有交办"),             # never assigned
    (("doc", "urge", OTHER), 1, "已办结"),                   # resolved: nothing to urge
    (("doc", "urge", LIVE), 1, "还没有超期"),                # not late, never urged
    (("doc", "follow-up", "--week", "2026-11-03"), 1, "没有办结的诉求"),
    (("doc", "resident", "李四"), 2, "李四"),
    (("doc", "assign", N, "-o", "/nonexistent-folder/a.docx"), 1, "/nonexistent-folder"),
])
def test_a_document_that_cannot_be_made_is_refused_and_nothing_is_written(
        township: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        args: tuple[str, ...], code: int, key: str) -> None:
    monkeypatch.chdir(tmp_path)
    before = township.digest()
    r = township(*args)
    assert r.exit_code == code, r.output
    assert key in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert list(tmp_path.glob("*.docx")) == []
    assert township.digest() == before


# --- 催办通知书 ----------------------------------------------------------------------------

def test_the_urge_notice_counts_working_days_late_and_copies_the_leader(
        township: Cli, tmp_path: Path) -> None:
    # Due Thursday 2026-11-12: Friday 13, Monday 16, Tuesday 17 are the working days late.
    assert township("issue", "urge", N, "--copy", "分管副镇长 周建新", "--text",
                    "请于本周内入户鉴定").exit_code == 0
    out = tmp_path / "u.docx"
    r = township("doc", "urge", N, "-o", str(out))
    assert r.exit_code == 0, r.output
    body = text(out)
    for expected in ("青石镇民情诉求催办通知书", f"编号：{N}-催1", "县住建局：",
                     "办理时限为2026年11月12日", "已超过办理时限3个工作日", "请于本周内入户鉴定",
                     "抄送：分管副镇长 周建新。", "镇综治中心配合", "责任人周工"):
        assert expected in body, expected
    overdue = township("overdue", "--format", "json")
    assert json.loads(overdue.output)["demands"][0]["days_late"] == 3  # as the ledger counts
    [row] = journal(township)
    assert row["data"]["document"] == "urge"
    check_passes(township)


def test_without_a_copy_the_urge_notice_copies_the_supervising_leader(
        township: Cli, tmp_path: Path) -> None:
    assert township("issue", "supervise", N, "--leader", "镇长 李强").exit_code == 0
    out = tmp_path / "u.docx"
    r = township("doc", "urge", N, "-o", str(out))  # late: no urge recorded is needed
    assert r.exit_code == 0, r.output
    body = text(out)
    assert "抄送：镇长 李强。" in body and f"编号：{N}\n" in body + "\n"


def test_a_case_urged_before_its_deadline_says_the_deadline_is_near(
        township: Cli, tmp_path: Path) -> None:
    assert township("issue", "urge", LIVE).exit_code == 0
    out = tmp_path / "u.docx"
    assert township("doc", "urge", LIVE, "-o", str(out)).exit_code == 0
    body = text(out)
    assert "办理时限将至" in body and "个工作日。" not in body.split("办理时限将至")[0][-12:]
    assert "镇司法所：" in body


# --- 回访记录表 ----------------------------------------------------------------------------

def test_the_follow_up_sheet_has_a_row_for_each_demand_resolved_in_the_week(
        township: Cli, tmp_path: Path) -> None:
    assert township("issue", "resolve", N, "--result", "已维修", "--date", "2026-11-16").exit_code == 0
    out = tmp_path / "f.docx"
    r = township("doc", "follow-up", "--week", "2026-11-12", "-o", str(out))
    assert r.exit_code == 0, r.output
    from docx import Document

    doc = Document(str(out))
    [table] = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["日期", "编号", "受访人", "诉求内容", "反馈意见", "回访方式", "回访人", "备注"]
    assert [r[1] for r in rows[1:]] == [OTHER, N]  # by day resolved
    assert rows[1][2] == "王芳 139****2222"
    assert rows[2][:4] == ["", N, "张秀兰 138****5678", "屋顶漏水,墙体开裂"]
    assert rows[2][4:] == ["　□满意 □基本满意 □不满意", "　□电话 □现场", "", ""]  # to fill in
    body = text(out)
    assert "青石镇民情诉求回访记录表" in body and "2026-11-10 至 2026-11-16" in body
    assert "共 2 件" in body
    printed = journal(township)
    assert [p["data"]["document"] for p in printed] == ["follow-up", "follow-up"]
    assert sorted(p["subject_id"] for p in printed) == [1, 2]
    check_passes(township)


# --- 一人一账 ------------------------------------------------------------------------------

def test_the_resident_page_lists_visits_and_demands(township: Cli, tmp_path: Path) -> None:
    assert township("visit", "log", "--village", "东坪村", "--resident", "张秀兰", "--cadre",
                    "王建国", "--note", "屋顶漏雨,独居", "--date", "2026-11-10").exit_code == 0
    out = tmp_path / "r.docx"
    r = township("doc", "resident", "张秀兰", "-o", str(out))
    assert r.exit_code == 0, r.output
    body = text(out)
    for expected in ("青石镇一人一账", "张秀兰", "138****5678", ID_1[:6] + "********" + ID_1[-4:],
                     "独居老人", "走访记录（共 1 次）", "王建国", "屋顶漏雨,独居",
                     "诉求及办理情况（共 1 件）", N, "办理中", "县住建局", "时限 2026-11-12"):
        assert expected in body, expected
    assert ID_1 not in body
    [row] = journal(township)
    assert (row["subject"], row["data"]["document"]) == ("resident", "resident")
    check_passes(township)
    r = township("doc", "resident", "张秀兰", "--unmask", "-o", str(tmp_path / "r2.docx"))
    assert r.exit_code == 0 and ID_1 in text(tmp_path / "r2.docx")


# --- the journal ---------------------------------------------------------------------------

def test_a_print_changes_nothing_of_the_demand_and_undo_passes_over_it(
        township: Cli, tmp_path: Path) -> None:
    L = township.ledger()
    before = dict(L.demands.row(N))
    L.db.conn.close()
    assert township("doc", "assign", N, "-o", str(tmp_path / "a.docx")).exit_code == 0
    L = township.ledger()
    assert dict(L.demands.row(N)) == before  # updated_on, first_step_on untouched
    assert L.demands.disagreements(N) == []
    L.db.conn.close()
    # A step dated before the print is still in order.
    assert township("issue", "notify", N, "--text", "已安排鉴定", "--date", "2026-11-13").exit_code == 0
    # Undo reverses the clerk's last change, not the print.
    assert township("doc", "assign", N, "-o", str(tmp_path / "b.docx")).exit_code == 0
    r = township("undo")
    assert r.exit_code == 0, r.output
    L = township.ledger()
    assert L.demands.row(N)["notices"] == 0
    L.db.conn.close()
    check_passes(township)


# --- templates -------------------------------------------------------------------------------

def _custom(path: Path, extra: str) -> Path:
    """The default template with a line of the township's own."""
    from docx import Document

    doc = Document(io.BytesIO(docs.default_template("assign")))
    doc.paragraphs[0].insert_paragraph_before(extra)
    doc.save(str(path))
    return path


def test_a_township_template_is_used_when_installed_and_the_default_after_reset(
        township: Cli, tmp_path: Path) -> None:
    exported = tmp_path / "assign.docx"
    assert township("doc", "template", "export", "assign", "-o", str(exported)).exit_code == 0
    assert exported.read_bytes() == docs.default_template("assign")
    mine = _custom(tmp_path / "本镇交办单.docx", "中共青石镇委员会 青石镇人民政府 {{ township }}")
    before = township.digest()
    r = township("doc", "template", "install", "assign", str(mine))
    assert r.exit_code == 0, r.output
    assert township.digest() != before
    listed = json.loads(township("doc", "template", "list", "--format", "json").output)
    assert [(t["kind"], t["source"]) for t in listed] == [
        ("assign", "ledger"), ("urge", "default"), ("follow-up", "default"),
        ("resident", "default")]
    assert listed[0]["file"] == "本镇交办单.docx"
    out = tmp_path / "a.docx"
    assert township("doc", "assign", N, "-o", str(out)).exit_code == 0
    assert "中共青石镇委员会 青石镇人民政府 青石镇" in text(out)
    assert journal(township)[-1]["data"]["template"] == "ledger"
    # The installed template travels with the ledger: export gives it back.
    again = tmp_path / "again.docx"
    assert township("doc", "template", "export", "assign", "-o", str(again)).exit_code == 0
    assert again.read_bytes() == mine.read_bytes()
    assert township("doc", "template", "reset", "assign").exit_code == 0
    out2 = tmp_path / "b.docx"
    assert township("doc", "template", "list").exit_code == 0
    assert township("doc", "assign", N, "-o", str(out2)).exit_code == 0
    assert "中共青石镇委员会" not in text(out2)
    assert journal(township)[-1]["data"]["template"] == "default"
    installs = journal(township, "install") + journal(township, "reset")
    assert [(j["subject"], j["action"]) for j in installs] == [("template", "install"),
                                                               ("template", "reset")]
    r = township("doc", "template", "reset", "assign")  # already the default
    assert r.exit_code == 1 and "默认模板" in r.output
    check_passes(township)


@pytest.mark.parametrize("content,key", [
    (b"not a word file", "不是 Word"),
    ("zip", "不是 Word"),
    ("{{ phone_number }}", "phone_number"),
    ("{{ number ", "不能用作模板"),
])
def test_a_bad_template_is_refused_and_nothing_is_stored(
        township: Cli, tmp_path: Path, content: object, key: str) -> None:
    path = tmp_path / "bad.docx"
    if content == "zip":
        import zipfile

        with zipfile.ZipFile(path, "w") as z:
            z.writestr("hello.txt", "a zip, not a document")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _custom(path, str(content))
    before = township.digest()
    r = township("doc", "template", "install", "assign", str(path))
    assert r.exit_code == 2, r.output
    assert key in r.output and len(r.output.strip().splitlines()) == 1
    assert township.digest() == before


def test_unknown_kind_of_document_is_refused(township: Cli) -> None:
    r = township("doc", "template", "reset", "letter")
    assert r.exit_code == 2 and "assign" in r.output


def test_the_template_table_lists_each_notice(township: Cli) -> None:
    r = township("doc", "template", "list")
    assert r.exit_code == 0, r.output
    for word in ("交办单", "催办通知书", "回访记录表", "一人一账", "默认"):
        assert word in r.output


def test_the_shipped_templates_are_what_make_templates_writes() -> None:
    sys.path.insert(0, str(Path(docs.__file__).resolve().parent.parent / "templates"))
    try:
        import make_templates
    finally:
        sys.path.pop(0)
    for kind in docs.KINDS:
        assert docs.text_of(make_templates.build(kind)) == docs.text_of(docs.default_template(kind)), kind


def test_every_documented_placeholder_renders_in_its_template() -> None:
    for kind in docs.KINDS:
        docs.validate(kind, docs.default_template(kind), f"{kind}.docx")


def test_ledger_text_cannot_break_the_document(ledger: Ledger) -> None:
    n = ledger.demands.add("<w:p>&注入</w:p> {{ township }}", village="东坪村",
                           on="2026-11-16", level="township")
    ledger.demands.assign(n, unit="镇司法所", on="2026-11-16")
    ctx = ledger.documents.assign_context(n)
    content = docs.render(docs.default_template("assign"),
                          {k: v for k, v in ctx.items() if not k.startswith("_")})
    assert "<w:p>&注入</w:p> {{ township }}" in docs.text_of(content)


# --- PDF: every document through LibreOffice ------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
needs_pdf = pytest.mark.skipif(
    not (SOFFICE and PDFTOTEXT),
    reason="LibreOffice (soffice) or poppler-utils (pdftotext) not installed; .ci/run installs them")


PDF_DOCUMENTS = [
    (("doc", "assign", N), 1, ["青石镇民情诉求交办单", N, "县住建局", "2026-11-12", "— 1 —"]),
    (("doc", "urge", N), 1, ["催办通知书", N, "3个工作日", "抄送"]),
    (("doc", "follow-up", "--week", "2026-11-10"), 1, ["回访记录表", OTHER, "基本满意"]),
    (("doc", "resident", "张秀兰"), 1, ["一人一账", "张秀兰", "138****5678", N]),
]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory,
         township_template: Path) -> dict[str, tuple[Path, object]]:
    """Every document of the PDF tests, each printed from its own new ledger, and converted by
    one LibreOffice run (starting LibreOffice is most of a conversion's cost): the name of
    each .docx, with its PDF and the result of the command that printed it. The first file is
    a probe: LibreOffice can read a .docx here (a LibreOffice without Writer cannot)."""
    folder = tmp_path_factory.mktemp("pdf")
    probe = folder / "probe.docx"
    probe.write_bytes(docs.default_template("urge"))
    made: dict[str, object] = {}

    def ledger_with(name: str, steps: list[tuple[str, ...]]) -> Callable[..., object]:
        path = folder / f"{name}.db"
        shutil.copyfile(township_template, path)
        os.chmod(path, 0o600) if os.name == "posix" else None
        runner = CliRunner()

        def run(*args: str):
            argv = ["--today", "2026-11-17", "--user", "刘洁", "--db", str(path), *args]
            return invoke(runner, argv, catch_exceptions=False)

        for args in steps:
            r = run(*args)
            assert r.exit_code == 0, (args, r.output)
        return run

    for i, (args, _, _) in enumerate(PDF_DOCUMENTS):
        made[f"doc{i}"] = ledger_with(f"doc{i}", TOWNSHIP_STEPS)(
            *args, "-o", str(folder / f"doc{i}.docx"))
    long_sheet = []
    for i in range(30):
        n = f"2026-{i + 1:06d}"
        long_sheet += [("issue", "add", f"第{i + 1}件诉求", "--village", "东坪村", "--date",
                        "2026-11-10"),
                       ("issue", "settle", n, "--result", "当场解决", "--date", "2026-11-11")]
    made["long"] = ledger_with("long", long_sheet)(
        "doc", "follow-up", "--week", "2026-11-10", "-o", str(folder / "long.docx"))
    files = [probe] + [folder / f"{name}.docx" for name in made if (folder / f"{name}.docx").exists()]
    env = {**os.environ,
           "FONTCONFIG_FILE": str(Path(docs.__file__).resolve().parent.parent / "templates" / "fonts.conf")}
    profile = (folder / "lo-profile").as_uri()  # its own profile: parallel runs do not clash
    try:
        done = subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless",
                               "--convert-to", "pdf", "--outdir", str(folder), *map(str, files)],
                              env=env, capture_output=True, timeout=300)
        read_pdf(probe.with_suffix(".pdf"))
    except (AssertionError, subprocess.SubprocessError) as e:
        pytest.skip(f"LibreOffice cannot convert a .docx here (is Writer installed?): {e}")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return {name: (folder / f"{name}.pdf", result) for name, result in made.items()}


def read_pdf(pdf: Path) -> tuple[int, str]:
    """A PDF LibreOffice made of a .docx: its pages and text."""
    assert pdf.exists(), f"LibreOffice wrote no PDF of {pdf.with_suffix('.docx').name}"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    body = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    # The Chinese is set in a Chinese font (the official one, or Noto CJK), not boxes.
    assert re.search(r"CJK|Sim|Fang|Song|Hei|WenQuanYi|Source ?Han", fonts), fonts
    return pages, body


@pytest.mark.pdf
@needs_pdf
@pytest.mark.parametrize("i", range(len(PDF_DOCUMENTS)),
                         ids=[f"args{i}-{p}-words{i}" for i, (_, p, _) in enumerate(PDF_DOCUMENTS)])
def test_every_document_converts_to_pdf(pdfs: dict, i: int) -> None:
    args, pages, words = PDF_DOCUMENTS[i]
    pdf, printed = pdfs[f"doc{i}"]
    assert printed.exit_code == 0, printed.output  # printed from a ledger of its own
    got, body = read_pdf(pdf)
    assert got == pages
    flat = "".join(body.split())
    for w in words:
        assert "".join(w.split()) in flat, (w, body)


@pytest.mark.pdf
@needs_pdf
def test_a_long_follow_up_sheet_repeats_its_header_on_every_page(pdfs: dict) -> None:
    """30 demands accepted on 2026-11-10 and settled on the 11th (the ledger's own, in
    ``pdfs``): the week's follow-up sheet runs over pages, the header on each."""
    pdf, printed = pdfs["long"]
    assert printed.exit_code == 0, printed.output
    pages, body = read_pdf(pdf)
    assert pages >= 2
    sheets = [p for p in body.split("\f") if p.strip()]
    assert len(sheets) == pages
    for i, page in enumerate(sheets, start=1):
        header = "".join(page.split())
        assert "日期编号受访人诉求内容反馈意见回访方式回访人备注" in header, i  # on every page
        assert f"—{i}—" in header
    assert "2026-000030" in body


def test_the_document_libraries_are_imported_only_by_the_doc_commands() -> None:
    import subprocess

    code = ("import sys, ledger.cli, ledger.commands.docs, ledger.services.documents, "
            "ledger.io.docs; print(sorted(m for m in ('docx', 'docxtpl', 'jinja2', 'lxml') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_readme_lists_every_placeholder() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Printed notices"):]
    section = section[:section.index("\n## ", 1)]
    for kind in docs.KINDS:
        for name in docs.placeholders(kind):
            assert f"`{name}`" in section, (kind, name)


def test_check_finds_a_template_changed_behind_the_ledger(township: Cli, tmp_path: Path) -> None:
    mine = _custom(tmp_path / "mine.docx", "本镇模板")
    assert township("doc", "template", "install", "assign", str(mine)).exit_code == 0
    check_passes(township)
    L = township.ledger()
    with L.db.conn:
        L.db.execute("update templates set content = ? where kind = 'assign'", [b"changed"])
    L.db.conn.close()
    r = township("check")
    assert r.exit_code == 1 and "文书模板 assign" in r.output


def test_a_print_step_is_a_no_op_of_the_state_machine() -> None:
    from ledger import lifecycle

    accept = {"text": "路灯坏了", "village_id": 1}
    steps = [("accept", accept, "2026-11-10"), ("resolve", {"result": "已修"}, "2026-11-12")]
    printed = [steps[0], ("print", {"document": "assign"}, "2026-11-16"), steps[1],
               ("print", {"document": "follow-up"}, "2026-11-17")]
    assert lifecycle.replay(printed) == lifecycle.replay(steps)
    for status in lifecycle.STATUSES:
        state = {**lifecycle.BLANK, "status": status, "received_on": "2026-11-10",
                 "updated_on": "2026-11-20"}
        assert lifecycle.apply(state, "print", {}, "2026-11-17") == state
    from ledger.errors import Refused

    with pytest.raises(Refused):
        lifecycle.apply(None, "print", {}, "2026-11-17")
