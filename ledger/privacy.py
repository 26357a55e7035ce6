"""Masking of personal information (PIPL): what leaves the ledger shows only enough to
recognise a person, unless unmasking is asked for explicitly."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """138****5678; short numbers keep only their last four digits."""
    if not phone:
        return phone
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    """110101********1234: region kept, birth date hidden."""
    if not id_number:
        return id_number
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_name(name: str | None) -> str | None:
    """张*: the first character only, and one star whatever the length, so that the mask
    does not tell how long the name is."""
    if not name:
        return name
    return name[0] + "*"
