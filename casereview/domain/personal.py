"""Personal data, held per person so that one person's details can later be erased alone.

Names, contact details and free text that may name people never sit in bare event fields: they
are `Person` or `Personal` values carrying the opaque id of the person they belong to. The
application registers one transcoding per type, so a later per-person cipher (crypto-shredding)
changes how these values are stored without touching any other field, stream id or topic.
"""

from __future__ import annotations

from dataclasses import dataclass

ERASED = "[erased]"


@dataclass(frozen=True)
class Person:
    """Someone named in a case: applicant, victim or complainant. `id` is opaque (no PII)."""

    id: str
    name: str | None
    email: str | None = None
    address: str | None = None

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else ERASED


@dataclass(frozen=True)
class Personal:
    """Free text that may name people, filed under the person it is about."""

    subject: str
    text: str | None

    def __str__(self) -> str:
        return self.text if self.text is not None else ERASED


def personal(subject: str, text: str | None) -> Personal | None:
    """Wrap optional free text; no text gives no value rather than an empty record."""
    return Personal(subject, text) if text else None


def plain(value: Personal | None) -> str | None:
    return None if value is None else str(value)
