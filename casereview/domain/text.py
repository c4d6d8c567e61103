"""The limits every text field has, checked before anything is written.

Each field has a documented maximum length (README, "Input limits") and a kind: a *line* (names,
agencies, references: one line, no control characters at all) or *free text* (summaries,
reasons, grounds, notes: newline and tab allowed, nothing else below U+0020). Text that a
database refuses (NUL), that a terminal would act on (escape sequences) or that cannot be
written as UTF-8 (lone surrogates) is bad input everywhere, so both stores hold the same
values and every read model can show them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from casereview.errors import FieldError

LINE = "line"
FREE_TEXT = "free text"


@dataclass(frozen=True)
class TextRule:
    """The limit and kind of one text field."""

    limit: int
    kind: str = LINE


# The fields of CONTRACT.md's commands, in domain words. The read-model columns that hold any
# of them are at least as wide (projections/tables.py), so a value the domain accepts always
# fits.
NAME = TextRule(200)
AGENCY = TextRule(200)
REFERENCE = TextRule(100)
EMAIL = TextRule(254)  # RFC 5321's limit on a forward path
ADDRESS = TextRule(500, FREE_TEXT)
FREE = TextRule(5000, FREE_TEXT)
SHORT = TextRule(200)

RULES: dict[str, TextRule] = {
    "applicant": NAME,
    "on_behalf_of": NAME,
    "complainant": NAME,
    "chair": NAME,
    "user": NAME,
    "decided_by": NAME,
    "agency": AGENCY,
    "owner": AGENCY,
    "agencies": AGENCY,
    "attended": AGENCY,
    "agency_ref": REFERENCE,
    "incident": REFERENCE,
    "email": EMAIL,
    "address": ADDRESS,
    "channel": SHORT,
    "summary": FREE,
    "reason": FREE,
    "reasons": FREE,
    "grounds": FREE,
    "text": FREE,
    "note": FREE,
    "impact_statement": FREE,
}
"""Every text field a command takes, by its domain name."""

_ALLOWED_IN_FREE_TEXT = frozenset("\n\t")


def check_text(field: str, value: str, *, required: bool = True) -> str:
    """`value` if it is acceptable for `field`, else FieldError naming the field and why.

    Surrounding spaces are kept as typed (they are the user's), but a required field must hold
    more than spaces."""
    rule = RULES[field]
    if required and not value.strip():
        raise FieldError(field, "must not be empty")
    if len(value) > rule.limit:
        raise FieldError(
            field,
            f"is {len(value):,} characters long; at most {rule.limit:,} are allowed",
        )
    for index, char in enumerate(value):
        if _unacceptable(char, rule.kind):
            raise FieldError(field, _describe(char, index + 1))
    return value


def check_optional(field: str, value: str | None) -> str | None:
    """None stays None (the option was not given); anything given must pass `check_text`."""
    return None if value is None else check_text(field, value)


def _unacceptable(char: str, kind: str) -> bool:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return True  # a lone surrogate cannot be written as UTF-8
    if kind == FREE_TEXT and char in _ALLOWED_IN_FREE_TEXT:
        return False
    # Cc: C0 and C1 controls (NUL, ESC, DEL ...); Zl/Zp: line and paragraph separators,
    # which split a "line" in most viewers.
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def _describe(char: str, position: int) -> str:
    code = ord(char)
    where = f"at character {position}"
    if 0xD800 <= code <= 0xDFFF:
        return (
            f"contains a lone surrogate (U+{code:04X}) {where}, which is not valid text"
        )
    if char == "\n":
        return f"contains a line break {where}, which a one-line value cannot hold"
    return f"contains a control character (U+{code:04X}) {where}, which is not allowed"
