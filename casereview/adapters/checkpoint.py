"""Checkpoints: a signed statement of the event log's position, head and time, kept outside
the database.

The chain (`casereview.adapters.ledger`) shows a change to any stored event, but not a log cut off at
its end, nor one whose chain was rebuilt by someone who could rewrite the tables. A checkpoint
pins the log as it was: `casereview log checkpoint` verifies the log, then signs

    signed_message(position, head, at) =
        b"casereview checkpoint v1\\n"
        + for each of position (decimal ASCII), head (64 lower-case hex digits), at (UTF-8):
              8-byte big-endian length + the field's bytes

with HMAC-SHA256 under a key kept outside the database, and prints it (or appends it, one JSON
line `{"position", "head", "at", "signature"}`, to a file). `casereview log verify
--checkpoint FILE` recomputes the chain from the events as they are and fails, naming the
position, when the log up to any checkpoint's position is not the one it pinned.

The key: `CASEREVIEW_CHECKPOINT_KEY` (its UTF-8 bytes, at least 32 characters) or, for a SQLite
store, the file `<database file>.checkpoint-key` beside it (64 hex digits: 32 random bytes,
created on first use, readable by its owner only; its text is the key, so
`CASEREVIEW_CHECKPOINT_KEY=$(cat casereview.db.checkpoint-key)` is the same key). The signature
stops anyone without the key from editing or adding checkpoints in a file; what stops the
database's owner from forging new ones is that the checkpoints already published (on the
area's website, with the PCC office or the scrutiny panel) cannot be recalled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casereview.adapters.ledger import Expectation
from casereview.errors import FieldError, InvalidInput, RuleViolation

KEY_ENV = "CASEREVIEW_CHECKPOINT_KEY"
KEY_FILE_SUFFIX = ".checkpoint-key"
MIN_KEY_LENGTH = 32
TAG = b"casereview checkpoint v1\n"
FIELDS = ("position", "head", "at", "signature")
HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
EXPECT_HEAD = re.compile(r"^([0-9]+):([0-9a-fA-F]{64})$")
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"

_LENGTH = struct.Struct(">Q").pack


def signed_message(position: int, head: str, at: str) -> bytes:
    """The bytes the signature covers (see the module docstring)."""
    fields = (str(int(position)).encode("ascii"), head.encode("ascii"), at.encode())
    return TAG + b"".join(_LENGTH(len(f)) + f for f in fields)


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the log had `head` at `position` at the time `at`."""

    position: int
    head: str
    at: str
    signature: str

    def signed_by(self, key: bytes) -> bool:
        expected = hmac.new(
            key, signed_message(self.position, self.head, self.at), hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, self.signature.lower())

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "head": self.head,
            "at": self.at,
            "signature": self.signature,
        }

    def line(self) -> str:
        """The line `--append` writes: compact JSON, keys in the contract's order."""
        return json.dumps(self.to_json())


def sign(key: bytes, position: int, head: str, at: str) -> Checkpoint:
    signature = hmac.new(
        key, signed_message(position, head, at), hashlib.sha256
    ).hexdigest()
    return Checkpoint(position, head, at, signature)


# ----- the key --------------------------------------------------------------------------------


def key_file(store_env: Mapping[str, str]) -> Path | None:
    """Where the key file of an embedded store is (None for a server or in-memory store)."""
    if store_env.get("PERSISTENCE_MODULE") != "eventsourcing.sqlite":
        return None
    name = store_env.get("SQLITE_DBNAME", "")
    if not name or "mode=memory" in name:
        return None
    return Path(name + KEY_FILE_SUFFIX)


def load_key(
    store_env: Mapping[str, str], environ: Mapping[str, str], *, create: bool
) -> bytes:
    """The checkpoint key: `CASEREVIEW_CHECKPOINT_KEY`, else the key file beside a SQLite
    store (created with mode 0600 when `create` and missing). InvalidInput names what to set."""
    from_env = environ.get(KEY_ENV)
    if from_env is not None:
        return _checked(from_env, KEY_ENV)
    path = key_file(store_env)
    if path is None:
        raise InvalidInput(
            f"set {KEY_ENV} to the checkpoint key (at least {MIN_KEY_LENGTH} characters, "
            f"kept off the database server; make one with {MAKE_A_KEY}): this store has no "
            "folder of its own for a key file"
        )
    if create:
        _create_key_file(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(
            f"no checkpoint key: set {KEY_ENV}, or keep the key file {path} that signed "
            "the checkpoints beside the store"
        ) from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the checkpoint key ({exc})") from None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise InvalidInput(
            f"{path}: the checkpoint key can be read by others (mode "
            f"{stat.S_IMODE(mode):04o}); run chmod 600 {path}"
        )
    return _checked(text.strip(), str(path))


def _create_key_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise InvalidInput(
            f"{path}: cannot create the checkpoint key ({exc})"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secrets.token_hex(32) + "\n")


def _checked(text: str, where: str) -> bytes:
    if len(text) < MIN_KEY_LENGTH:
        raise InvalidInput(
            f"{where}: the checkpoint key is too short ({len(text)} characters; at least "
            f"{MIN_KEY_LENGTH}, e.g. the output of {MAKE_A_KEY})"
        )
    return text.encode("utf-8")


# ----- what users give ------------------------------------------------------------------------


def parse_expect_head(value: str) -> Expectation:
    """`POSITION:HASH`, as `log verify` and `log checkpoint` print them."""
    match = EXPECT_HEAD.match(value.strip())
    if match is None:
        raise FieldError(
            "expect_head",
            f"{value!r} is not POSITION:HASH (expected a position and a "
            "64-hex-digit head, like 42:9f86d081..., as `casereview log verify` prints them)",
        )
    return Expectation(int(match[1]), match[2].lower(), "--expect-head")


def read_checkpoints(path: Path) -> list[tuple[str, Checkpoint]]:
    """Every checkpoint in a file of JSON lines (blank lines skipped), each with where it is
    (`FILE line N`). A line that is not a checkpoint is InvalidInput naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the checkpoints ({exc})") from None
    found = [
        (where, _parse_line(line, where))
        for where, line in (
            (f"{path} line {number}", line)
            for number, line in enumerate(lines, start=1)
        )
        if line.strip()
    ]
    if not found:
        raise InvalidInput(f"{path} holds no checkpoints")
    return found


def signed_expectations(
    checkpoints: list[tuple[str, Checkpoint]], key: bytes
) -> list[Expectation]:
    """What the checkpoints pin, once every signature is checked: one that does not match
    is a RuleViolation naming its line."""
    for where, checkpoint in checkpoints:
        if not checkpoint.signed_by(key):
            raise RuleViolation(
                f"{where}: the checkpoint's signature does not match (the line was changed, "
                "or it was signed with another key)"
            )
    return [
        Expectation(checkpoint.position, checkpoint.head.lower(), where)
        for where, checkpoint in checkpoints
    ]


def _parse_line(line: str, where: str) -> Checkpoint:
    expected = (
        "expected a JSON object with position (a whole number), head (64 hex digits), "
        "at and signature (text), as `casereview log checkpoint --append` writes"
    )
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise InvalidInput(f"{where}: not a checkpoint ({expected})") from None
    if not isinstance(data, dict) or any(name not in data for name in FIELDS):
        raise InvalidInput(f"{where}: not a checkpoint ({expected})")
    position, head = data["position"], data["head"]
    if (
        not isinstance(position, int)
        or isinstance(position, bool)
        or position < 0
        or not isinstance(head, str)
        or not HEX64.match(head)
        or not isinstance(data["at"], str)
        or not isinstance(data["signature"], str)
    ):
        raise InvalidInput(f"{where}: not a checkpoint ({expected})")
    return Checkpoint(position, head, data["at"], data["signature"])
