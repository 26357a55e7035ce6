"""The domain's words and records, with no database and no clock.

The vocabulary of stored values (status, level, difficulty, satisfaction ...), the checks
every value typed by a clerk goes through (names, texts, ID numbers, phone numbers, demand
numbers), the nearest-name hint, and the records that cross module boundaries as types.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import date
from typing import Sequence, TypedDict

from .errors import BadInput
from .vocabulary import enum_value  # noqa: F401  (re-exported: callers validate here)

# --- text and identity checks ----------------------------------------------------------

NAME_MAX = 60
TEXT_MAX = 5000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters that change how text is shown without being seen: text-direction embeddings,
# overrides and isolates (a "right-to-left override" makes 张三 display as something else).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# ... and for names also the zero-width and other invisible characters (every Unicode
# "format" character, the Hangul fillers): two names differing only by one would look the
# same on every screen and paper.
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u180e")


def _invisible(text: str) -> str | None:
    """The first character of ``text`` no one can see, if any."""
    for ch in text:
        if ch in _INVISIBLE_EXTRA or unicodedata.category(ch) == "Cf":
            return ch
    return None


def clean_text(value: str | None, field: str, *, max_len: int = TEXT_MAX,
               multiline: bool = True, kind: str = "text") -> str:
    """Stripped text, refusing empty, over-long, control-character or text-direction
    input."""
    text = (value or "").strip()
    if not text:
        raise BadInput(f"{kind}.empty", what=field)
    if _CONTROL.search(text) or (not multiline and ("\n" in text or "\r" in text)):
        raise BadInput(f"{kind}.control", what=field)
    bidi = _BIDI.search(text)
    if bidi:
        raise BadInput(f"{kind}.invisible", what=field, char=f"U+{ord(bidi[0]):04X}")
    if len(text) > max_len:
        raise BadInput(f"{kind}.too_long", what=field, length=len(text), max=max_len)
    return text


def normal_name(value: str) -> str:
    """A name as the ledger keeps it: Unicode NFKC (full-width Ａ and １ become A and 1,
    the ideographic space a space), stripped, inner whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def name_key(value: str) -> str:
    """What two names must share to be the same name: the normal form, with any
    invisible character left out (names written before they were refused)."""
    return normal_name("".join(ch for ch in value if _invisible(ch) is None))


# Names made only of these are in normal form already and hold nothing invisible: CJK
# ideographs (NFKC leaves them as they are), ASCII letters and digits, a few marks. Most
# names are: they skip the character-by-character checks (an import meets millions).
_PLAIN_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff0-9A-Za-z\u00b7()/_.\-]{1,%d}" % NAME_MAX)


def clean_name(value: str | None, field: str) -> str:
    """A name (of a village, unit, person ...): one line, at most NAME_MAX characters, in
    its normal form (``normal_name``); refused when it holds a control character or a
    character no one can see (zero-width, text-direction)."""
    raw = value or ""
    if _PLAIN_NAME.fullmatch(raw):
        return raw
    if _CONTROL.search(raw) or "\n" in raw or "\r" in raw:
        raise BadInput("name.control", what=field)
    hidden = _invisible(raw)
    if hidden is not None:
        raise BadInput("name.invisible", what=field, char=f"U+{ord(hidden):04X}")
    return clean_text(normal_name(raw), field, max_len=NAME_MAX, multiline=False, kind="name")


# Names read back as ``name/place`` (a resident 张三/东坪村, an organisation, a village
# 青石镇/东坪村) or that become part of a file name (a ledger's): never hold a separator.
SEPARATED = frozenset({"resident", "organisation", "village", "township", "grid",
                       "ledger_name"})
# A name that reads as a path: ``.``, ``..``, a part of either between separators, or one
# that starts or ends with a separator (``../x``, ``/etc``, ``a\\``).
_PATH_LIKE = re.compile(r"(?:^|[/\\])\.{1,2}(?:[/\\]|$)|^[/\\]|[/\\]$")


def new_name(value: str | None, field: str) -> str:
    """A name about to be stored, from any door (typed, imported, received in a bundle,
    merged): ``clean_name``'s checks, and refused when it reads as a path, or (``SEPARATED``
    kinds) holds ``/`` or ``\\``, which a later lookup would read as ``name/place``."""
    name = clean_name(value, field)
    if field in SEPARATED and ("/" in name or "\\" in name):
        raise BadInput("name.separator", what=field, name=name)
    if _PATH_LIKE.search(name):
        raise BadInput("name.path", what=field, name=name)
    return name


def check_text(value: object, field: str, *, max_len: int = TEXT_MAX) -> None:
    """A text received as stored (a bundle's, a restored ledger's): ``clean_text``'s rules
    (no control character, escape sequence or text-direction override; at most
    ``max_len`` characters), without changing it."""
    if value is None or value == "":
        return
    if not isinstance(value, str):
        raise BadInput("text.not_text", what=field)
    if value.strip():
        clean_text(value, field, max_len=max_len)


def optional_text(value: str | None, field: str) -> str | None:
    return clean_text(value, field) if value is not None and value.strip() else None


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def check_id_number(value: str) -> str:
    """A resident identity number (GB 11643): 18 characters, valid birth date, checksum."""
    n = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", n):
        raise BadInput("id_number.malformed", value=value)
    try:
        date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise BadInput("id_number.birth_date", value=value) from None
    if _ID_CHECK[sum(int(c) * w for c, w in zip(n[:17], _ID_WEIGHTS)) % 11] != n[17]:
        raise BadInput("id_number.checksum", value=value)
    return n


def check_phone(value: str) -> str:
    """A mobile (11 digits starting 1) or a landline with area code; separators dropped."""
    digits = re.sub(r"[\s\-()]", "", value.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    if not (re.fullmatch(r"1[3-9]\d{9}", digits) or re.fullmatch(r"0\d{9,11}", digits)):
        raise BadInput("phone.malformed", value=value)
    return digits


_NUMBER = re.compile(r"^\s*(\d{4})-(\d{1,6})\s*$")


def parse_number(value: str) -> str:
    """A demand number as written in full (``2026-123``) in its stored form ``2026-000123``."""
    m = _NUMBER.match(value)
    if not m:
        raise BadInput("issue.number_malformed", value=value)
    return f"{m[1]}-{int(m[2]):06d}"


def number_seq(number: str) -> int:
    """The sequence part of a stored number (``2026-000123`` -> 123)."""
    return int(number[5:])


def suggest(name: str, names: Sequence[str]) -> list[str]:
    """Nearest valid names: containing matches first, then similar ones, else the list."""
    names = list(dict.fromkeys(names))
    contains = [n for n in names if name in n or n in name]
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.4)
    picked = list(dict.fromkeys(contains + close))[:5]
    return picked or list(names)[:8]


# --- pinyin keys (拼音查找) ---------------------------------------------------------------
#
# A name can be typed as its full pinyin (zhangxiulan), its initials (zxl) or a mix, the
# first syllables in full and the rest by their initials (zhangxl, zhangxiul). Every reading
# of a polyphonic character counts (单 dan/shan/chan, 曾 zeng/ceng, 乐 le/yue). The keys are
# computed when a name is written (pypinyin's dictionary is read only then) and looked up in SQL.

PINYIN_QUERY = re.compile(r"[A-Za-z]{2,40}")  # what a typed pinyin query looks like
_READINGS_MAX = 4    # readings of one character kept
_COMBOS_MAX = 64     # readings of a whole name kept (the product over its characters)


def is_pinyin_query(text: str) -> bool:
    """Latin letters only (2 to 40): looked up by pinyin when no name is spelt so."""
    return bool(PINYIN_QUERY.fullmatch(text or ""))


_PINYIN: dict[str, str] | None = None  # code point as text -> readings with tones
_PLAIN: dict[str, list[str]] = {}  # a character -> its readings without tones, as met


def _readings_of(ch: str) -> list[str]:
    """Every reading of a character without tones (ü typed as v, and as u), from pypinyin's
    own single-character dictionary. Read as data: importing the package loads its phrase
    dictionaries too, ten times the cost, which names do not need (a name is not a phrase:
    every reading of each character is kept)."""
    global _PINYIN
    got = _PLAIN.get(ch)
    if got is not None:
        return got
    if _PINYIN is None:
        import importlib.util
        import json
        from pathlib import Path

        spec = importlib.util.find_spec("pypinyin")
        path = Path(next(iter(spec.submodule_search_locations or ())), "pinyin_dict.json") \
            if spec else None
        if path is not None and path.is_file():
            _PINYIN = json.loads(path.read_text(encoding="utf-8"))
        else:  # another layout of the package: ask it (slower to load)
            from pypinyin.pinyin_dict import pinyin_dict

            _PINYIN = {str(k): v for k, v in pinyin_dict.items()}
    plain: list[str] = []
    for r in (_PINYIN.get(str(ord(ch))) or "").split(","):
        bare = unicodedata.normalize("NFKD", r.strip())
        letters = "".join(c for c in bare if not unicodedata.combining(c)).lower()
        if "\u0308" in bare:
            plain.append(letters.replace("u", "v"))
        plain.append(letters)
    got = _PLAIN[ch] = list(dict.fromkeys(
        p for p in plain if p.isascii() and p.isalpha()))[:_READINGS_MAX]
    return got


def pinyin_keys(name: str) -> list[str]:
    """Every key ``name`` may be typed as, sorted (see above). Characters that are not
    Chinese count as themselves when they are letters or digits, and are left out when not."""
    import itertools

    syllables: list[list[str]] = []
    for ch in normal_name(name):
        got = _readings_of(ch) if not ch.isascii() else None
        if got:
            syllables.append(got)
        elif ch.isascii() and ch.isalnum():
            syllables.append([ch.lower()])
    keys: set[str] = set()
    for combo in itertools.islice(itertools.product(*syllables), _COMBOS_MAX):
        for k in range(len(combo) + 1):  # the first k syllables in full, the rest initials
            keys.add("".join(combo[:k]) + "".join(s[0] for s in combo[k:]))
    keys.discard("")
    return sorted(keys)




# --- the records that cross module boundaries --------------------------------------------
#
# Rows come out of SQLite as dicts; these name their fields and types once, for every
# reader (rendering, JSON, CSV, workbooks). Dates are ISO strings.


class DemandRow(TypedDict):
    """A demand as every list shows it (issue list, due, overdue, a resident's page)."""

    number: str
    received_on: str
    status: str  # open, suspended, resolved, closed
    level: str  # village, township, county
    village: str
    resident: str | None
    category: str | None
    complexity: str  # general, complex
    type: str | None
    channel: str | None
    unit: str | None  # the lead unit
    handler: str | None
    text: str
    resolved_on: str | None
    satisfaction: str | None
    closed_on: str | None
    settled_on_spot: int
    due_on: str | None
    due_provisional: int
    light: str  # deadlines.LIGHTS
    locality: str | None  # 双向派单: the village or community working it with the unit


class OverdueRow(DemandRow):
    days_late: int  # working days past the deadline


class DemandDetail(DemandRow):
    """One demand with its names resolved and its whole journal (issue show)."""

    co_units: list[str]
    summoned: list[tuple[str, str | None]]  # unit, the day it reported in
    leader: str | None
    result: str | None
    feedback: str | None
    reopen_count: int
    suspended_since: str | None
    suspended_days: int
    stage_started_on: str
    escalations: int
    returns: int
    extensions: int
    notices: int
    resident_id: int | None
    visit_id: int | None
    events: list[dict[str, object]]  # id, on, action, actor, reason, data, undone


class WeekCounts(TypedDict):
    """The counts of the Tuesday summary (README: The Tuesday summary), for the whole
    township or one village, category or channel (``name``)."""

    received: int
    settled_on_spot: int
    to_township: int
    escalated: int
    assigned: int
    resolved: int
    closed: int
    open: int
    carried_over: int
    overdue: int
    due_next: int


class RepeatResident(TypedDict):
    resident_id: int
    resident: str
    village: str
    demands: int
    this_week: int
    first_on: str


class WeekSummary(WeekCounts):
    week_start: str
    week_end: str
    as_of: str
    by_village: list[dict[str, object]]  # WeekCounts and their ``name``
    by_category: list[dict[str, object]]
    by_channel: list[dict[str, object]]
    carried_over_demands: list[DemandRow]
    due_demands: list[DemandRow]
    overdue_demands: list[OverdueRow]
    repeat_residents: list[RepeatResident]
    repeat_count: int
    key_villages: dict[str, object]  # visited, total, missed (services.coverage)
    meeting_studied: int  # cases the week's meetings decided on
    repeat_demands: int  # 重复诉求: the week's demands linked by --repeat-of


class ReportRow(TypedDict):
    """One unit, township or village of the report card (README: the report card)."""

    rank: int
    name: str
    received: int
    resolved: int
    on_time: int
    overdue: int
    response_rate: float | None
    resolution_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    score: float | None


class TalkRow(TypedDict):
    name: str
    overdue: int
    max_days_late: int
    numbers: list[str]


class ReportCard(TypedDict):
    by: str
    # "from" and "to" are keywords: read them as card["from"], card["to"]
    rows: list[ReportRow]
    total: ReportRow  # every row together (name None, rank absent): the 合计 line
    talk: list[TalkRow]
    settings: dict[str, float]
