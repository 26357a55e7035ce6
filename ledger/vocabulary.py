"""Every closed set of stored values, in one table per kind.

The ledger stores these values in English (``open``, ``village``, ``working_days`` ...);
clerks read them as Chinese or English labels and type them in either language. Each value
is written here once, with its two labels and the other spellings a clerk may type:

- ``enum_value(kind, text)`` is the stored value a clerk meant, or ``BadInput``;
- ``label(kind, value, lang)`` is how the value is shown;
- ``values(kind)`` are the stored values, in their order.

Nothing here touches the database or the terminal: importing this module is cheap.
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import BadInput


class Term(NamedTuple):
    """One stored value: its labels, and what else a clerk may type for it.

    The value itself and both labels are always accepted. ``aliases`` are the other
    spellings, in the order an "unknown value" message offers them (its non-ASCII ones);
    where a label is offered among them it is listed there too, in its place.
    """

    zh: str
    en: str
    aliases: tuple[str, ...] = ()


# kind -> stored value -> Term, the values in their order.
TABLE: dict[str, dict[str, Term]] = {
    "status": {
        "open": Term("办理中", "open", ("办理中", "在办")),
        "suspended": Term("已挂起", "suspended", ("挂起", "已挂起")),
        "resolved": Term("已办结", "resolved", ("办结", "已办结")),
        "closed": Term("已销号", "closed", ("销号", "已销号")),
    },
    "level": {
        "village": Term("村级", "village", ("村", "村级", "社区")),
        "township": Term("镇级", "township", ("镇", "镇级", "乡镇", "街道", "乡")),
        "county": Term("县级", "county", ("县", "县级", "区", "区级", "市级")),
    },
    "complexity": {
        "general": Term("一般性", "general", ("一般", "一般性", "一般性问题")),
        "complex": Term("疑难复杂", "complex", ("疑难", "复杂", "疑难复杂", "疑难复杂问题")),
    },
    "satisfaction": {
        "satisfied": Term("满意", "satisfied", ("满意",)),
        "basically_satisfied": Term("基本满意", "basically satisfied", ("basically", "基本满意")),
        "dissatisfied": Term("不满意", "dissatisfied", ("不满意",)),
    },
    # The clock of a deadline policy; shown after a number ("15 个工作日").
    "unit_of_time": {
        "working_days": Term("个工作日", "working days", ("工作日", "wd")),
        "calendar_days": Term("个自然日", "calendar days", ("自然日", "日", "天", "days")),
        "hours": Term("小时", "hours", ("小时", "h")),
    },
    # What a deadline policy applies to.
    "policy_kind": {
        "category": Term("类别", "category"),
        "type": Term("诉求类型", "type"),
        "complexity": Term("难易程度", "difficulty"),
    },
    # The traffic light of a demand's deadline.
    "light": {
        "on_time": Term("正常", "on time"),
        "due_soon": Term("临期", "due soon"),
        "overdue": Term("超期", "overdue"),
        "suspended": Term("挂起", "suspended"),
        "done": Term("已办结", "done"),
        "none": Term("无时限", "no deadline"),
    },
    # 三色督办: the colour of a live case, and the rule that gave it (deadlines.colour_sql).
    "colour": {
        "red": Term("红", "red", ("红色",)),
        "yellow": Term("黄", "yellow", ("黄色",)),
        "blue": Term("蓝", "blue", ("蓝色",)),
    },
    "colour_reason": {
        "overdue": Term("已超期", "overdue"),
        "unsigned": Term("未按时签收", "not signed for in time"),
        "returned": Term("曾退回", "returned"),
        "extended": Term("已延期", "extended"),
        "urged": Term("已催办", "urged"),
        "due_soon": Term("临近时限", "near the deadline"),
    },
    # The Tuesday meeting: its kind, and why a case is on its agenda (services.meetings).
    "meeting_kind": {
        "party_committee": Term("党委会议", "party committee", ("党委会", "党委会议")),
        "joint": Term("联席会", "joint meeting", ("联席会", "联席会议", "joint")),
        "consultation": Term("会商会", "consultation", ("会商会", "会商")),
    },
    "agenda_reason": {
        "new": Term("新受理", "new"),
        "overdue": Term("超期", "overdue"),
        "escalated": Term("多次上报", "escalated 2+"),
        "dissatisfied": Term("不满意", "dissatisfied"),
        "repeat": Term("多次反映", "repeat"),
    },
}

KINDS: tuple[str, ...] = tuple(TABLE)

# Kinds whose "unknown value" message lists the stored values in their own order rather
# than sorted (as the policy commands always have for units of time).
_IN_ORDER = frozenset({"unit_of_time"})


def _lookup(kind: str, terms: dict[str, Term]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, term in terms.items():
        for spelling in (value, *term.aliases, term.zh, term.en):
            if table.setdefault(spelling, value) != value:
                raise ValueError(f"{kind}: {spelling!r} names both {table[spelling]!r} and {value!r}")
    return table


_LOOKUP: dict[str, dict[str, str]] = {kind: _lookup(kind, terms) for kind, terms in TABLE.items()}
_CHOICES: dict[str, tuple[str, ...]] = {
    kind: tuple(a for term in terms.values() for a in term.aliases if not a.isascii())
    + tuple(terms if kind in _IN_ORDER else sorted(terms))
    for kind, terms in TABLE.items()
}


def values(kind: str) -> tuple[str, ...]:
    """The stored values of ``kind``, in their order."""
    return tuple(TABLE[kind])


def choices(kind: str) -> list[str]:
    """What an "unknown value" message offers: the Chinese spellings, then the values."""
    return list(_CHOICES[kind])


def enum_value(kind: str, value: str) -> str:
    """The stored value a clerk meant by ``value`` (a value, a label or an alias, in either
    language, any case); ``BadInput("enum.unknown")`` listing the choices if none."""
    table = _LOOKUP[kind]
    key = (value or "").strip()
    if key in table:
        return table[key]
    if key.lower() in table:
        return table[key.lower()]
    raise BadInput("enum.unknown", what=kind, name=value, choices=choices(kind))


def label(kind: str, value: object, lang: str = "zh") -> str:
    """How a stored value is shown: its label in ``lang``; "" for None; an unknown value
    as itself."""
    if value is None:
        return ""
    term = TABLE[kind].get(str(value))
    if term is None:
        return str(value)
    return term.en if lang == "en" else term.zh


# --- issue 16 (pairing, coverage) ---
# Open vocabularies that come with names built in: a township adds its own (`ledger role
# add`, `ledger org-kind add`, stored in the ``terms`` table under these kinds); the built-in
# names are known without being stored, in this order.
BUILT_IN_TERMS: dict[str, tuple[str, ...]] = {
    # 四个一 (商州: 县级领导, 县级部门, 镇主要领导, 镇科级领导), then 包村, 联户, 网格.
    "role": ("县级领导", "县级部门", "镇主要领导", "镇科级领导", "包村干部", "联户干部", "网格员"),
    # What an organisation visited is (六里屯's 三个覆盖: 非公企业 among them).
    "org_kind": ("非公企业", "个体工商户", "学校", "医疗机构", "社会组织", "机关事业单位"),
}
HOUSEHOLD_ROLE = "联户干部"  # the role of a cadre paired with a household
