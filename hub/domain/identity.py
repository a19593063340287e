"""Declarant identity (rule G2): exactly one of TCKN, VKN or passport number."""

from __future__ import annotations

import re
from enum import StrEnum


class IdKind(StrEnum):
    TCKN = "TCKN"  # TC Kimlik Numarası: a person, 11 digits with two check digits
    VKN = "VKN"  # Vergi Kimlik Numarası: a firm, 10 digits
    PASSPORT = "PASSPORT"  # a foreign person's passport number


_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


def tckn_is_valid(value: str) -> bool:
    """The public TCKN algorithm: 11 digits, no leading zero, digits 10 and 11 are check digits."""
    if len(value) != 11 or not value.isdigit() or value[0] == "0":
        return False
    d = [int(c) for c in value]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    eleventh = sum(d[:10]) % 10
    return d[9] == tenth and d[10] == eleventh


def identity_problem(kind: str, value: str) -> str | None:
    """Why this declarant id cannot be used, or None when it is well formed (G2)."""
    # rule: G2, exactly one of TCKN, VKN or passport number, each well formed
    if kind == IdKind.TCKN:
        return None if tckn_is_valid(value) else f"TCKN {value!r} is not 11 digits with valid check digits"
    if kind == IdKind.VKN:
        return None if len(value) == 10 and value.isdigit() else f"VKN {value!r} is not 10 digits"
    if kind == IdKind.PASSPORT:
        ok = _PASSPORT.fullmatch(value) is not None
        return None if ok else f"passport number {value!r} is not 5-20 capital letters or digits"
    return f"declarant id kind {kind!r} is none of TCKN, VKN, PASSPORT"
