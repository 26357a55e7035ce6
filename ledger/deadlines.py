"""The one place that knows time: reading dates typed by clerks, and (with the deadline
work) the Chinese working calendar and the deadline of every demand.

Every function takes the date it works for; nothing here reads the clock.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import BadInput

# 2026-11-17, 2026/11/17, 2026.11.17, 2026-1-5, 20261117, 2026年11月17日
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def parse_date(text: str | date) -> date:
    """A calendar date as clerks write it, or ``BadInput`` naming the value."""
    if isinstance(text, date):
        return text
    m = _DATE.match(text or "") or _COMPACT.match(text or "")
    if not m:
        raise BadInput("date.malformed", value=text)
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise BadInput("date.impossible", value=text) from None
