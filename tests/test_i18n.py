"""Every message the code can show has its words, in both languages; none is left unused.

The package source is read (not imported piecemeal) so that the check follows the code
wherever it moves: every ``.py`` file under ``ledger/``, subpackages included. A message
key is the string given where a key is taken: the first argument of the errors and of
``t``, the key of a ``RowError`` or ``Finding``, and the parameter of any function that
passes one of its own parameters on as a key (``_say``, ``_Check.fail``, ``Visits.place``
...), found in the code itself. Keys built with f-strings are listed in ``EXPANSIONS``.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

import ledger
from ledger import i18n, lifecycle, vocabulary
from ledger.errors import BadInput, Refused
from ledger.i18n import MESSAGES, t

PACKAGE = Path(ledger.__file__).parent

# Where a key is taken: callable name -> (position, keyword) of the key argument. Classes
# deriving from these, and functions passing a parameter on as a key, are added from the code.
SEEDS: dict[str, tuple[int, str]] = {
    "t": (0, "key"),
    "LedgerError": (0, "key"),
    "Finding": (0, "key"),
    "RowError": (3, "key"),
}


def _refusals() -> set[str]:
    """Every ``step.<action>.from_<status>`` the state machine can raise: each step tried
    from each status."""
    found = set()
    for action in lifecycle.ACTIONS:
        if action in lifecycle.FIRST_STEPS:
            continue
        for status in vocabulary.values("status"):
            state = {**lifecycle.BLANK, "status": status, "received_on": "2026-01-01",
                     "updated_on": "2026-01-01"}
            try:
                lifecycle.apply(state, action, {}, "2026-01-02")
            except Refused as e:
                if e.key == f"step.{action}.from_{status}":
                    found.add(e.key)
            except Exception:  # allowed from this status; the empty data is not a real step
                pass
    return found


# Keys built with f-strings, as glob patterns (each {...} a *) -> every key they can be.
EXPANSIONS: dict[str, set[str]] = {
    "*.empty": {"text.empty", "name.empty"},  # models.clean_text(kind="text" | "name")
    "*.control": {"text.control", "name.control"},
    "*.too_long": {"text.too_long", "name.too_long"},
    "*.invisible": {"text.invisible", "name.invisible"},
    "step.*.from_*": _refusals(),  # lifecycle.apply: a step not allowed from a status
    # store.file_error: an SQLite error on a ledger file, by its result code
    "file.*": {"file.no_permission", "file.busy", "file.read_only", "file.io_error",
               "file.not_ledger", "file.disk_full", "file.cannot_open", "file.sql_error"},
}


def _glob(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_super_init(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "__init__"
            and isinstance(func.value, ast.Call) and _name(func.value.func) == "super")


def _key_arg(call: ast.Call, spec: tuple[int, str]) -> ast.expr | None:
    pos, keyword = spec
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    positional = call.args[:pos + 1]
    if len(positional) > pos and not any(isinstance(a, ast.Starred) for a in positional):
        return call.args[pos]
    return None


class _Source:
    """The parsed package, and where in it message keys are taken."""

    def __init__(self, root: Path) -> None:
        self.files = {p.relative_to(root.parent).as_posix(): ast.parse(p.read_text("utf-8"))
                      for p in sorted(root.rglob("*.py"))}
        self.takers = dict(SEEDS)
        self._learn()

    def _calls(self):
        """(call, the spec of the callable it calls, the function and class around it)."""
        for tree in self.files.values():
            yield from self._walk(tree, None, None)

    def _walk(self, node: ast.AST, fn: ast.FunctionDef | None, cls: ast.ClassDef | None):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from self._walk(child, None, child)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # a method's first parameter is its object: callers do not pass it
                method = isinstance(node, ast.ClassDef) and not any(
                    _name(d) == "staticmethod" for d in child.decorator_list)
                child._method = method  # type: ignore[attr-defined]
                yield from self._walk(child, child, cls)
            else:
                if isinstance(child, ast.Call):
                    spec = self._spec(child, cls)
                    if spec:
                        yield child, spec, fn
                yield from self._walk(child, fn, cls)

    def _spec(self, call: ast.Call, cls: ast.ClassDef | None) -> tuple[int, str] | None:
        if _is_super_init(call.func) and cls is not None:
            for base in cls.bases:
                if _name(base) in self.takers:
                    return self.takers[_name(base)]  # type: ignore[index]
            return None
        return self.takers.get(_name(call.func) or "")

    def _learn(self) -> None:
        """Add subclasses of key-taking classes, and functions passing a parameter on as a
        key, until nothing new is found."""
        while True:
            before = dict(self.takers)
            for tree in self.files.values():
                for node in ast.walk(tree):
                    if isinstance(node, ast.ClassDef) and node.name not in self.takers:
                        for base in node.bases:
                            if _name(base) in self.takers:
                                self.takers[node.name] = self.takers[_name(base)]  # type: ignore[index]
            for call, spec, fn in list(self._calls()):
                arg = _key_arg(call, spec)
                if fn is None or not isinstance(arg, ast.Name) or fn.name in self.takers:
                    continue
                params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
                if getattr(fn, "_method", False):
                    params = params[1:]
                if arg.id in params:
                    self.takers[fn.name] = (params.index(arg.id), arg.id)
                elif arg.id in [a.arg for a in fn.args.kwonlyargs]:
                    self.takers[fn.name] = (10_000, arg.id)
            if self.takers == before:
                return

    def keys(self) -> tuple[set[str], set[str]]:
        """(literal keys, glob patterns of f-string keys) given where keys are taken, and
        looked up in MESSAGES directly (``MESSAGES["..."]``)."""
        literal: set[str] = set()
        patterns: set[str] = set()

        def take(node: ast.expr | None) -> None:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literal.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                patterns.add(_glob(node))
            elif isinstance(node, ast.IfExp):
                take(node.body)
                take(node.orelse)
            elif isinstance(node, ast.BoolOp):
                for v in node.values:
                    take(v)

        for call, spec, _ in self._calls():
            take(_key_arg(call, spec))
        for tree in self.files.values():
            for node in ast.walk(tree):
                if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                        and node.value.id == "MESSAGES"):
                    take(node.slice)
        return literal, patterns


REFUSALS = EXPANSIONS["step.*.from_*"]


class Scan:
    """The package read once (in the test process that first needs it, not at collection):
    the parsed source, the literal keys and f-string patterns taken, the keys used."""

    def __init__(self) -> None:
        self.source = _Source(PACKAGE)
        self.literal, self.patterns = self.source.keys()
        self.used = self.literal | {k for p in self.patterns for k in EXPANSIONS.get(p, ())}


@pytest.fixture(scope="module")
def scan() -> Scan:
    return Scan()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_scanner_reads_the_whole_package(scan: Scan) -> None:
    assert "ledger/cli.py" in scan.source.files and "ledger/lifecycle.py" in scan.source.files
    # the seeds, the error classes and the functions that pass a key on are all found
    for name in ("BadInput", "Refused", "NotFound", "UsageError", "LedgerFileError",
                 "ImportRefused", "say", "fail", "place"):
        assert name in scan.source.takers, name
    assert len(scan.literal) > 100


def test_every_f_string_key_has_its_expansions_listed(scan: Scan) -> None:
    unknown = scan.patterns - set(EXPANSIONS)
    assert not unknown, f"keys built with f-strings: list what they can be in EXPANSIONS: {unknown}"
    stale = set(EXPANSIONS) - scan.patterns
    assert not stale, f"EXPANSIONS lists patterns the code no longer builds: {stale}"
    for pattern, keys in EXPANSIONS.items():
        assert keys, pattern
        for key in keys:
            assert fnmatch.fnmatchcase(key, pattern), (pattern, key)


def test_every_key_in_the_code_has_a_message_in_both_languages(scan: Scan) -> None:
    missing = sorted(k for k in scan.used - REFUSALS if k not in MESSAGES)
    assert not missing, f"message keys used in ledger/ without a message: {missing}"
    for key in sorted(scan.used - REFUSALS):
        zh, en = MESSAGES[key]
        assert zh.strip() and en.strip(), key


def test_every_refusal_is_told_in_both_languages() -> None:
    for key in sorted(REFUSALS):
        for lang in ("zh", "en"):
            text = t(key, lang, number="2026-000001")
            assert text.strip() and key not in text and "{" not in text, (key, lang, text)


def test_every_message_has_the_same_placeholders_in_both_languages() -> None:
    differ = {key: (sorted(_fields(zh)), sorted(_fields(en)))
              for key, (zh, en) in MESSAGES.items() if _fields(zh) != _fields(en)}
    assert not differ, differ


def test_no_message_is_left_unused(scan: Scan) -> None:
    dead = sorted(set(MESSAGES) - scan.used)
    assert not dead, f"messages nothing in ledger/ uses: {dead}"


def test_the_scanner_sees_every_dotted_key_literal(scan: Scan) -> None:
    """A dotted message key written anywhere (outside i18n's own table) is seen where a key
    is taken: else the scanner has missed a way the code passes keys, and should learn it."""
    table = set()  # the keys of ``MESSAGES = {...}`` itself
    for tree in scan.source.files.values():
        for node in ast.walk(tree):
            if (isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict)
                    and any(isinstance(n, ast.Name) and n.id == "MESSAGES"
                            for n in getattr(node, "targets", [getattr(node, "target", None)]))):
                table |= {id(k) for k in node.value.keys}
    written = set()
    for tree in scan.source.files.values():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and "." in node.value and node.value in MESSAGES and id(node) not in table):
                written.add(node.value)
    assert table, "MESSAGES = {...} not found"
    assert written - scan.literal == set()


# --- the vocabulary ----------------------------------------------------------------------

def test_every_stored_value_has_both_labels_and_is_read_back_from_them() -> None:
    for kind in vocabulary.KINDS:
        assert vocabulary.values(kind), kind
        for value in vocabulary.values(kind):
            zh, en = vocabulary.label(kind, value, "zh"), vocabulary.label(kind, value, "en")
            assert zh.strip() and en.strip(), (kind, value)
            assert i18n.label(kind, value, "zh") == zh and i18n.label(kind, value, "en") == en
            assert not zh.isascii(), (kind, value, zh)
            for spelling in (value, zh, en, f" {zh} ", value.upper(), *vocabulary.TABLE[kind][value].aliases):
                assert vocabulary.enum_value(kind, spelling) == value, (kind, spelling)


def test_the_stored_values_in_their_order() -> None:
    assert vocabulary.values("status") == ("open", "suspended", "resolved", "closed")
    assert vocabulary.values("level") == ("village", "township", "county")
    assert vocabulary.values("complexity") == ("general", "complex")
    assert vocabulary.values("satisfaction") == ("satisfied", "basically_satisfied", "dissatisfied")
    assert vocabulary.values("unit_of_time") == ("working_days", "calendar_days", "hours")
    assert vocabulary.values("light") == ("on_time", "due_soon", "overdue", "suspended", "done", "none")
    assert vocabulary.values("policy_kind") == ("category", "type", "complexity")


def test_the_vocabulary_labels_left_i18n() -> None:
    assert not set(vocabulary.KINDS) & set(i18n.LABELS)
    assert i18n.label("status", None) == "" and i18n.label("status", "gone") == "gone"
    assert i18n.label("action", "accept") == "受理"  # the other kinds stay in i18n


@pytest.mark.parametrize(("kind", "typed", "message"), [
    ("status", "完成", "不认识的状态“完成”;可选:办理中、在办、挂起、已挂起、办结、已办结、销号、已销号、"
                     "closed、open、resolved、suspended"),
    ("level", "省级", "不认识的层级“省级”;可选:村、村级、社区、镇、镇级、乡镇、街道、乡、县、县级、区、区级、"
                    "市级、county、township、village"),
    ("complexity", "难", "不认识的难易程度“难”;可选:一般、一般性、一般性问题、疑难、复杂、疑难复杂、"
                        "疑难复杂问题、complex、general"),
    ("satisfaction", "还行", "不认识的满意度“还行”;可选:满意、基本满意、不满意、basically_satisfied、"
                          "dissatisfied、satisfied"),
    ("unit_of_time", "周", "不认识的时限单位“周”;可选:工作日、自然日、日、天、小时、working_days、"
                          "calendar_days、hours"),
])
def test_an_unknown_value_is_refused_with_the_choices(kind: str, typed: str, message: str) -> None:
    with pytest.raises(BadInput) as e:
        vocabulary.enum_value(kind, typed)
    assert e.value.key == "enum.unknown" and e.value.params["what"] == kind
    assert e.value.message("zh") == message


def test_what_clerks_typed_before_is_still_understood() -> None:
    typed = {
        "level": {"村": "village", "社区": "village", "乡镇": "township", "街道": "township",
                  "乡": "township", "区": "county", "区级": "county", "市级": "county"},
        "complexity": {"一般": "general", "一般性问题": "general", "疑难": "complex",
                       "复杂": "complex", "疑难复杂问题": "complex"},
        "satisfaction": {"basically": "basically_satisfied", "Basically": "basically_satisfied"},
        "status": {"在办": "open", "挂起": "suspended", "办结": "resolved", "销号": "closed",
                   "OPEN": "open"},
        "unit_of_time": {"工作日": "working_days", "WD": "working_days", "自然日": "calendar_days",
                         "日": "calendar_days", "天": "calendar_days", "days": "calendar_days",
                         "小时": "hours", "h": "hours", " hours ": "hours"},
    }
    for kind, spellings in typed.items():
        for spelling, value in spellings.items():
            assert vocabulary.enum_value(kind, spelling) == value, (kind, spelling)


def test_importing_the_words_is_cheap() -> None:
    code = ("import sys, ledger.vocabulary, ledger.i18n; "
            "print(sorted(m for m in ('sqlite3', 'sqlite_utils', 'typer', 'rich', 'click') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- an unknown key ----------------------------------------------------------------------

def test_the_tests_run_strict() -> None:
    assert os.environ.get("LEDGER_STRICT_I18N")


def test_an_unknown_key_raises_when_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_STRICT_I18N", "1")
    with pytest.raises(KeyError):
        t("no.such.key")
    for bad in ("step.fly.from_open", "step.resolve.from_nowhere", "step.resolve.open",
                "step.nonsense"):
        with pytest.raises(KeyError):
            t(bad, number="2026-000001")
    # a refusal without a message of its own is told with step.refused
    assert t("step.escalate.from_suspended", number="2026-000001") == "诉求 2026-000001 当前已挂起,不能上报"
    assert t("step.escalate.from_suspended", "en", number="2026-000001") == (
        "demand 2026-000001 is suspended: step 'escalate' is not allowed")


def test_an_unknown_key_is_shown_as_itself_to_a_clerk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGER_STRICT_I18N")
    assert t("no.such.key") == "no.such.key"
    assert t("no.such.key", "en") == "no.such.key"
    assert t("step.fly.from_open", number="2026-000001") == "诉求 2026-000001 当前办理中,不能fly"


@pytest.mark.parametrize("lang,joined", [
    ("zh", "、".join(["青石镇/第一移民安置新村社区"] * 6) + "、" + "长" * 79 + "…"),
    ("en", ", ".join(["青石镇/第一移民安置新村社区"] * 6) + ", " + "长" * 79 + "…"),
])
def test_a_list_of_names_is_shown_whole_each_name_cut_alone(lang: str, joined: str) -> None:
    # Six names of 14 characters are past the 80 a value may take: the list is joined whole;
    # only a name longer than 80 is cut, alone.
    names = ["青石镇/第一移民安置新村社区"] * 6 + ["长" * 100]
    text = t("import.created", lang, what="village", names=names)
    assert text.endswith(joined)
    assert t("hint.did_you_mean", lang, names="x" * 100) == t(
        "hint.did_you_mean", lang, names="x" * 79 + "…")
