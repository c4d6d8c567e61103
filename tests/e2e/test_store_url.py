"""The store URL an operator gives: never run as SQL, never echoed with its password,
and refused with exit 2 when it cannot be right (issue 11, items 5, 8 and 16)."""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from casereview.adapters.store import parse_store_url
from casereview.cli import cli, report
from casereview.errors import InvalidInput
from tests.conftest import PG_BASE, PG_PROBLEM, drop_schema
from tests.smtp_server import free_port

SECRET = "S3cretPW"
needs_postgres = pytest.mark.skipif(PG_PROBLEM is not None, reason=PG_PROBLEM or "")


def casereview(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--user", "tester", *args])


def pg_table_exists(name: str) -> bool:
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    return row is not None and row[0] is not None


# ----- ?schema= ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        'x";CREATE TABLE public.pwned_by_schema(i int);--',
        "x;DROP TABLE stored_events",
        "two words",
        "1starts_with_a_digit",
        "dotted.name",
        "a" * 64,
    ],
)
def test_a_schema_that_is_not_a_plain_identifier_is_refused_with_exit_2(schema):
    with pytest.raises(InvalidInput, match=r"\?schema="):
        parse_store_url(f"{PG_BASE}?schema={schema}")


@needs_postgres
def test_sql_in_the_schema_is_never_run_when_the_store_is_opened():
    with psycopg.connect(PG_BASE, autocommit=True) as conn:  # a leftover proves nothing
        conn.execute("DROP TABLE IF EXISTS public.pwned_by_schema")
    url = f'{PG_BASE}?schema=x";CREATE TABLE public.pwned_by_schema(i int);--'

    result = casereview("--db", url, "init")

    assert result.exit_code == 2, result.output
    assert "?schema=" in result.stderr and "letters, digits and _" in result.stderr
    assert not pg_table_exists("public.pwned_by_schema")


@needs_postgres
def test_a_mixed_case_schema_is_created_and_used_exactly_as_named():
    schema = f"Ops_{uuid.uuid4().hex[:8]}"
    try:
        result = casereview("--db", f"{PG_BASE}?schema={schema}", "init")

        assert result.exit_code == 0, result.output
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = %s AND table_name = 'casereview_events'",
                (schema,),
            ).fetchone()
        assert found is not None
    finally:
        drop_schema(schema)


def test_the_schema_is_quoted_as_an_identifier_in_the_ddl_lock(monkeypatch):
    """The store's DDL lock builds its SQL with psycopg.sql.Identifier, not by formatting."""
    from casereview.adapters import store as stores

    statements: list[object] = []

    class Conn:
        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            return False

        def execute(self, query, params=None):  # type: ignore[no-untyped-def]
            statements.append(query)

    monkeypatch.setattr(psycopg, "connect", lambda **kw: Conn())
    store = parse_store_url(f"{PG_BASE}?schema=Mixed_1")

    with stores.ddl_lock(store):
        pass

    creates = [s for s in statements if isinstance(s, sql.Composed)]
    assert len(creates) == 1
    assert sql.Identifier("Mixed_1") in list(creates[0])


# ----- credentials are never printed ------------------------------------------------------


@pytest.fixture
def password_server() -> Iterator[int]:
    """A fake PostgreSQL server on a free port that asks for a password and refuses it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = int(listener.getsockname()[1])
    stop = threading.Event()

    def read_exact(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def serve_one(conn: socket.socket) -> None:
        with conn:
            while (
                True
            ):  # SSL and GSS encryption requests are declined, then the start-up
                (length,) = struct.unpack("!I", read_exact(conn, 4))
                body = read_exact(conn, length - 4)
                (code,) = struct.unpack("!I", body[:4])
                if code in (80877103, 80877104):
                    conn.sendall(b"N")
                    continue
                break
            conn.sendall(b"R" + struct.pack("!II", 8, 3))  # cleartext password, please
            kind = read_exact(conn, 1)
            (length,) = struct.unpack("!I", read_exact(conn, 4))
            read_exact(conn, length - 4)
            assert kind == b"p"
            fields = (
                b"SFATAL\0VFATAL\0C28P01\0"
                b'Mpassword authentication failed for user "app"\0\0'
            )
            conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                serve_one(conn)
            except (ConnectionError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(5)
    listener.close()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        (f"mysql://app:{SECRET}@db.example/asb", 2),
        (f"postgresql://app:{SECRET}@/asb", 2),
        (f"postgresql://app:{SECRET}@127.0.0.1:abc/test", 2),
        (f"postgresql://app:{SECRET}@127.0.0.1:99999/test", 2),
        (f"postgresql://app:{SECRET}@127.0.0.1:0/test", 2),
        (f"postgresql://app:{SECRET}@[::1/test", 2),
        ("postgresql://app:S3cret#PW@127.0.0.1/test", 2),
        ("postgresql://app:S3cret/PW@127.0.0.1/test", 2),
        ("postgresql://app:{SECRET}@127.0.0.1:{port}/test", 6),
    ],
    ids=[
        "bad-scheme",
        "no-host",
        "port-abc",
        "port-99999",
        "port-0",
        "bad-brackets",
        "hash-in-password",
        "slash-in-password",
        "unreachable-host",
    ],
)
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_the_password_never_appears_in_an_error_about_the_store(url, code, debug):
    url = url.format(SECRET=SECRET, port=free_port())
    args = ["--debug"] if debug else []

    result = casereview(*args, "--db", url, "case", "list")

    assert result.exit_code == code, result.output
    assert "S3cret" not in result.output
    assert "--db" in result.stderr or "unavailable" in result.stderr
    if not debug:
        assert result.stderr.count("\n") == 1


def test_the_password_never_appears_when_the_server_refuses_it(password_server):
    url = f"postgresql://app:{SECRET}@127.0.0.1:{password_server}/test"

    result = casereview("--db", url, "case", "list")

    assert result.exit_code == 6, result.output
    assert "password authentication failed" in result.stderr
    assert SECRET not in result.output


def test_a_port_that_is_not_a_number_is_named_with_the_form_expected():
    result = casereview("--db", "postgresql://app@127.0.0.1:abc/test", "case", "list")

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --db: ")
    assert "port" in result.stderr and "65535" in result.stderr


def test_an_unexpected_failure_is_reported_without_the_password(capsys):
    exc = RuntimeError(f"cannot use postgresql://app:{SECRET}@db.example:5432/asb")

    code = report(exc, debug=True, secrets=(SECRET,))

    err = capsys.readouterr().err
    assert code == 1
    assert SECRET not in err
    assert "postgresql://app:***@db.example:5432/asb" in err
