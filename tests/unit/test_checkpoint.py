"""Checkpoints as values: the signed message, the signature, and parsing what users give."""

from __future__ import annotations

import pytest

from casereview.adapters.checkpoint import (
    Checkpoint,
    parse_expect_head,
    sign,
    signed_message,
)
from casereview.errors import InvalidInput

KEY = b"0123456789abcdef0123456789abcdef"
HEAD = "ab" * 32
AT = "2026-11-20T09:00:00+00:00"


def test_the_signed_message_is_a_tag_then_length_prefixed_fields():
    assert signed_message(7, HEAD, AT) == (
        b"casereview checkpoint v1\n"
        + b"\0\0\0\0\0\0\0\x017"
        + b"\0\0\0\0\0\0\0\x40"
        + HEAD.encode()
        + b"\0\0\0\0\0\0\0\x19"
        + AT.encode()
    )


def test_a_signed_checkpoint_verifies_with_its_key_only():
    signed = sign(KEY, 7, HEAD, AT)

    assert signed.signed_by(KEY)
    assert not signed.signed_by(KEY[:-1] + b"X")


@pytest.mark.parametrize(
    "change",
    [{"position": 8}, {"head": "cd" * 32}, {"at": "2026-11-21T09:00:00+00:00"}],
)
def test_changing_any_field_breaks_the_signature(change):
    signed = sign(KEY, 7, HEAD, AT)

    changed = Checkpoint(**{**signed.to_json(), **change})

    assert not changed.signed_by(KEY)


def test_expect_head_parses_position_and_lower_cases_the_hash():
    expected = parse_expect_head("42:" + "AB" * 32)

    assert (expected.position, expected.head) == (42, HEAD)
    assert expected.source == "--expect-head"


@pytest.mark.parametrize("value", ["", "42", "42:", ":" + HEAD, "4x:" + HEAD, "1:ab"])
def test_a_malformed_expect_head_is_invalid_input(value):
    with pytest.raises(InvalidInput, match="POSITION:HASH"):
        parse_expect_head(value)
