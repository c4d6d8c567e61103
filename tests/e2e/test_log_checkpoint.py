"""`log checkpoint` and `log verify --checkpoint / --expect-head` through the CLI, on SQLite and
PostgreSQL: a signed head kept outside the database catches a log that was changed and
re-chained, had events removed, or was cut off at the end."""

# The SQL below is built from the fixed table names of each store.
# ruff: noqa: S608

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from casereview.adapters.checkpoint import KEY_ENV, Checkpoint, signed_message
from tests.e2e.test_cli_lifecycle import add, receive
from tests.integration.test_ledger import (
    origin_table,
    position_column,
    raw,
    rechain,
    tables,
    unguard_all,
)

KEY = "k" * 40


@pytest.fixture(autouse=True)
def checkpoint_key(db_url, monkeypatch):
    """PostgreSQL needs the key in the environment; SQLite uses its key file."""
    if db_url.startswith("sqlite"):
        monkeypatch.delenv(KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(KEY_ENV, KEY)


def key_file(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///") + ".checkpoint-key")


def key_of(db_url: str) -> bytes:
    if db_url.startswith("sqlite"):
        return key_file(db_url).read_text().strip().encode()
    return KEY.encode()


def some_steps(run, n: int = 2) -> str:
    ref = receive(run)
    for i in range(n):
        add(run, ref, f"2026-02-0{i + 1}", f"2026-02-0{i + 1}")
    return ref


def positions(db_url: str) -> list[int]:
    events, _ = tables(db_url)
    column = position_column(db_url)
    with raw(db_url) as conn:
        return [
            row[0]
            for row in conn.execute(
                f"SELECT {column} FROM {events} ORDER BY {column}"
            ).fetchall()
        ]


def checkpoint(run, path: Path | None = None) -> dict:
    extra = ["--append", str(path)] if path is not None else []
    return json.loads(run("log", "checkpoint", "--json", *extra).stdout)


# ----- signing --------------------------------------------------------------------------


def test_checkpoint_prints_a_signed_statement_of_position_head_and_time(
    run, run_json, db_url
):
    some_steps(run)
    verified = run_json("log", "verify")

    signed = checkpoint(run)

    assert set(signed) == {"position", "head", "at", "signature"}
    assert signed["position"] == positions(db_url)[-1] == verified["position"]
    assert signed["head"] == verified["head"]
    assert signed["at"].endswith("+00:00")
    assert Checkpoint(**signed).signed_by(key_of(db_url))
    assert not Checkpoint(**signed).signed_by(b"another key of some length 123456")


def test_checkpoint_text_names_position_head_and_signature(run, db_url):
    some_steps(run)

    text = run("log", "checkpoint").stdout

    assert f"position {positions(db_url)[-1]}" in text
    assert "signature " in text


def test_checkpoint_append_writes_one_json_line_each_and_verify_passes(
    run, run_json, tmp_path
):
    file = tmp_path / "checkpoints.jsonl"
    some_steps(run)
    first = checkpoint(run, file)
    some_steps(run)
    second = checkpoint(run, file)

    result = run("log", "verify", "--checkpoint", str(file))
    as_json = run_json("log", "verify", "--checkpoint", str(file))

    lines = file.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [first, second]
    assert "matches 2 checkpoints" in result.stdout
    assert as_json["ok"] is True
    assert [c["ok"] for c in as_json["checkpoints"]] == [True, True]


def test_a_checkpoint_of_a_log_that_fails_verify_is_refused_and_nothing_appended(
    run, db_url, tmp_path
):
    some_steps(run)
    events, _ = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"UPDATE {events} SET topic = topic || 'x'")
    file = tmp_path / "checkpoints.jsonl"

    result = run("log", "checkpoint", "--append", str(file), ok=False)

    assert result.exit_code == 3
    assert "refusing to sign a checkpoint" in result.stderr
    assert not file.exists()


# ----- what a checkpoint catches --------------------------------------------------------------


def test_a_changed_and_rechained_log_passes_verify_but_fails_its_checkpoint(
    run, db_url, tmp_path
):
    file = tmp_path / "checkpoints.jsonl"
    some_steps(run)
    pinned = checkpoint(run, file)["position"]
    some_steps(run)
    events, _ = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(
            f"UPDATE {events} SET topic = topic || 'x' "
            f"WHERE {position_column(db_url)} = {positions(db_url)[1]}"
        )
        rechain(conn, db_url)  # a careful forger, or the old code's re-chain

    plain = run("log", "verify")
    checked = run("log", "verify", "--checkpoint", str(file), ok=False)
    as_json = run("log", "verify", "--json", "--checkpoint", str(file), ok=False)

    assert plain.exit_code == 0, plain.stderr
    assert checked.exit_code == 3
    assert f"checkpoint at position {pinned} ({file} line 1)" in checked.stderr
    assert "changed or removed" in checked.stderr
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["first_bad"] == pinned
    assert report["checkpoints"][0]["ok"] is False


def test_a_removed_checkpointed_event_fails_naming_it_removed(run, db_url, tmp_path):
    file = tmp_path / "checkpoints.jsonl"
    some_steps(run)
    pinned = checkpoint(run, file)["position"]
    some_steps(run)
    events, _ = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"DELETE FROM {events} WHERE {position_column(db_url)} = {pinned}")
        rechain(conn, db_url)

    checked = run("log", "verify", "--checkpoint", str(file), ok=False)

    assert checked.exit_code == 3
    assert f"at position {pinned}" in checked.stderr
    assert "removed" in checked.stderr


def test_a_log_cut_off_before_a_checkpoint_fails_naming_the_position(
    run, db_url, tmp_path
):
    file = tmp_path / "checkpoints.jsonl"
    some_steps(run)
    checkpoint(run, file)
    some_steps(run)
    pinned = checkpoint(run, file)["position"]
    kept = positions(db_url)[-3]
    events, chain = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(f"DELETE FROM {events} WHERE {position_column(db_url)} > {kept}")
        conn.execute(f"DELETE FROM {chain} WHERE position > {kept}")

    plain = run("log", "verify")
    checked = run("log", "verify", "--checkpoint", str(file), ok=False)

    assert plain.exit_code == 0, plain.stderr  # no chain can see its own end cut off
    assert checked.exit_code == 3
    assert (
        f"the log ends at position {kept}, before the checkpoint's position {pinned}"
        in checked.stderr
    )
    assert f"({file} line 2)" in checked.stderr


def test_a_dropped_chain_backfilled_as_if_new_fails_its_checkpoint(
    run, db_url, tmp_path
):
    """The documented limit: whoever can drop both chain tables makes the store look as if
    it was written before the chain; the next write chains it afresh. The checkpoint kept
    outside the database is what shows it."""
    file = tmp_path / "checkpoints.jsonl"
    some_steps(run)
    pinned = checkpoint(run, file)["position"]
    events, chain = tables(db_url)
    with raw(db_url) as conn:
        unguard_all(conn, db_url)
        conn.execute(
            f"UPDATE {events} SET topic = topic || 'x' "
            f"WHERE {position_column(db_url)} = {positions(db_url)[0]}"
        )
        conn.execute(f"DROP TABLE {chain}")
        conn.execute(f"DROP TABLE {origin_table(db_url)}")
    run("init")  # any command that writes backfills a store with no chain at all

    plain = run("log", "verify")
    checked = run("log", "verify", "--checkpoint", str(file), ok=False)

    assert plain.exit_code == 0
    assert checked.exit_code == 3
    assert f"checkpoint at position {pinned}" in checked.stderr


# ----- --expect-head ----------------------------------------------------------------------------


def test_expect_head_passes_for_the_printed_head_and_fails_for_another(
    run, run_json, db_url
):
    some_steps(run)
    verified = run_json("log", "verify")
    pinned = f"{verified['position']}:{verified['head']}"
    some_steps(run)
    wrong = f"{verified['position']}:{'0' * 63}1"

    good = run("log", "verify", "--expect-head", pinned)
    bad = run("log", "verify", "--expect-head", wrong, ok=False)

    assert good.exit_code == 0
    assert bad.exit_code == 3
    assert f"position {verified['position']} (--expect-head)" in bad.stderr


@pytest.mark.parametrize(
    "value", ["", "12", "12:abc", "x:" + "a" * 64, "-1:" + "a" * 64, "3:" + "g" * 64]
)
def test_a_malformed_expect_head_exits_2_naming_the_form(run, value):
    result = run("log", "verify", "--expect-head", value, ok=False)

    assert result.exit_code == 2
    assert "--expect-head" in result.stderr
    assert "POSITION:HASH" in result.stderr


def test_checkpoint_and_expect_head_together_exit_2(run, tmp_path):
    file = tmp_path / "c.jsonl"
    file.write_text("")

    result = run(
        "log",
        "verify",
        "--checkpoint",
        str(file),
        "--expect-head",
        "0:" + "0" * 64,
        ok=False,
    )

    assert result.exit_code == 2


# ----- the checkpoint file --------------------------------------------------------------------


def test_a_changed_checkpoint_line_fails_as_a_bad_signature_naming_the_line(
    run, db_url, tmp_path
):
    file = tmp_path / "checkpoints.jsonl"
    some_steps(run)
    checkpoint(run, file)
    checkpoint(run, file)
    lines = file.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["position"] -= 1
    file.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")

    result = run("log", "verify", "--checkpoint", str(file), ok=False)

    assert result.exit_code == 3
    assert f"{file} line 2: the checkpoint's signature does not match" in result.stderr


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1, 2]",
        '{"position": 1, "head": "ab"}',
        '{"position": "1", "head": "' + "a" * 64 + '", "at": "x", "signature": "s"}',
    ],
)
def test_a_malformed_checkpoint_line_exits_2_naming_the_line(run, tmp_path, line):
    file = tmp_path / "checkpoints.jsonl"
    file.write_text("\n" + line + "\n")

    result = run("log", "verify", "--checkpoint", str(file), ok=False)

    assert result.exit_code == 2
    assert f"{file} line 2: " in result.stderr


def test_a_checkpoint_file_without_checkpoints_exits_2(run, tmp_path):
    file = tmp_path / "checkpoints.jsonl"
    file.write_text("\n")

    result = run("log", "verify", "--checkpoint", str(file), ok=False)

    assert result.exit_code == 2
    assert "holds no checkpoints" in result.stderr


# ----- the key ----------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_key_file_is_created_beside_the_store_readable_by_its_owner_only(
    run, db_url
):
    some_steps(run)

    first = checkpoint(run)
    second = checkpoint(run)

    path = key_file(db_url)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    key = path.read_text().strip().encode()
    assert Checkpoint(**first).signed_by(key) and Checkpoint(**second).signed_by(key)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_key_file_others_can_read_is_refused_with_exit_2(run, db_url):
    some_steps(run)
    checkpoint(run)
    os.chmod(key_file(db_url), 0o644)

    result = run("log", "checkpoint", ok=False)

    assert result.exit_code == 2
    assert f"chmod 600 {key_file(db_url)}" in result.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_environment_key_is_used_before_a_key_file(run, db_url, monkeypatch):
    some_steps(run)
    monkeypatch.setenv(KEY_ENV, KEY)

    signed = checkpoint(run)

    assert Checkpoint(**signed).signed_by(KEY.encode())
    assert not key_file(db_url).exists()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_without_a_key_in_the_environment_exits_2_naming_it(run, monkeypatch):
    some_steps(run)
    monkeypatch.delenv(KEY_ENV)

    result = run("log", "checkpoint", ok=False)

    assert result.exit_code == 2
    assert KEY_ENV in result.stderr


def test_a_short_key_exits_2(run, monkeypatch):
    some_steps(run)
    monkeypatch.setenv(KEY_ENV, "short")

    result = run("log", "checkpoint", ok=False)

    assert result.exit_code == 2
    assert "too short" in result.stderr


def test_the_signature_is_an_hmac_of_the_documented_message(run, db_url):
    import hashlib
    import hmac

    some_steps(run)

    signed = checkpoint(run)

    message = signed_message(signed["position"], signed["head"], signed["at"])
    assert (
        hmac.new(key_of(db_url), message, hashlib.sha256).hexdigest()
        == signed["signature"]
    )
