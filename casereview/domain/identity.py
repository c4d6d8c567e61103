"""What identifies a complaint: the agency and the agency's own reference, compared normalised.

CONTRACT.md: `(agency, agency_ref)` identifies a complaint. People type the same agency and
reference in different ways (`surrey police,IMP-1`, `Surrey  Police,imp-1`), and an export
pads cells with spaces, so two pairs are the same complaint when they are equal once
case-folded, with runs of whitespace taken as one space and none at either end. The stored
event keeps the text as typed; only comparisons go through `complaint_identity`, everywhere:
the Case aggregate, the import's compact intake, and the read model's key (`identity_key`).
"""

from __future__ import annotations

from casereview.errors import RuleViolation

Identity = tuple[str, str]


def normalised(text: str) -> str:
    """`text` case-folded, whitespace runs as one space, no space at either end."""
    if " " not in text and text.isprintable():  # no whitespace at all: most references
        return text.casefold()
    return " ".join(text.split()).casefold()


def complaint_identity(agency: str, agency_ref: str) -> Identity:
    """The pair as it is compared (not as it is stored)."""
    return normalised(agency), normalised(agency_ref)


def reference_identity(agency: str, agency_ref: str | None) -> Identity | None:
    """The pair as compared, or None when there is no reference (nothing to compare)."""
    if not agency_ref:
        return None
    identity = complaint_identity(agency, agency_ref)
    return identity if identity[1] else None


KEY_WIDTH = 250
"""Characters of an `identity_key` (an index entry stays small on both stores)."""


def identity_key(agency: str, agency_ref: str) -> str:
    """The key the read model indexes a complaint under, to find which case a reference is
    on: the pair as compared, joined by U+001F (which no accepted agency or reference holds),
    cut to KEY_WIDTH characters. Equal pairs have equal keys; a key shared by two pairs
    (cut short, or typed before text was checked) only names a case to look at, so a match
    is confirmed against the case itself. (Agencies and their references are not personal
    data; the read model holds them already.)"""
    return key_of(complaint_identity(agency, agency_ref))


def key_of(identity: Identity) -> str:
    """`identity_key` of a pair already as compared."""
    agency, agency_ref = identity
    return f"{agency}\x1f{agency_ref}"[:KEY_WIDTH]


class RecordedOnAnotherCase(RuleViolation):
    """An agency's reference names one complaint: it is already recorded on another case."""

    def __init__(
        self, ref: str, agency: str, agency_ref: str, other: str, complaint: str | None
    ) -> None:
        where = f"{other} as complaint {complaint}" if complaint else other
        super().__init__(
            f"{ref}: {agency} reference {agency_ref!r} is already recorded on {where} "
            "(an agency's reference identifies one complaint; correct the reference or "
            "record it on that case)"
        )
        self.other, self.complaint = other, complaint
