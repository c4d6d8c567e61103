"""The store a URL names: SQLite (the embedded default) or PostgreSQL, its settings for the
event store and read models, and the lock that serialises creating their tables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from casereview.adapters.ledger import RECORDER_TOPICS
from casereview.adapters.redaction import redact, redact_url, url_secrets
from casereview.errors import InvalidInput

DEFAULT_DB = "sqlite:///casereview.db"


@dataclass(frozen=True)
class Store:
    """Where events and read models live, from one SQLAlchemy-style URL (CONTRACT.md)."""

    url: str
    env: dict[str, str]
    sqlalchemy_url: str
    schema: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"


def parse_store_url(url: str) -> Store:
    """`sqlite:///path.db`, `sqlite://` (memory) or `postgresql://user:pw@host:port/db[?schema=s]`.

    Nothing from the URL reaches SQL unchecked: the schema must be a plain identifier (and is
    quoted as one wherever it is used), the port a number. Every message shows the URL with
    its password masked."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL": an unmatched bracket
        raise InvalidInput(
            f"--db: {shown!r} is not a URL ({exc}); expected {EXPECTED_URLS}"
        ) from None
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        path = (
            unquote(parts.path[1:])
            if parts.path.startswith("/")
            else unquote(parts.path)
        )
        if path in ("", ":memory:"):
            # A named shared-cache memory database, so the projection's connection sees it too.
            name = f"file:casereview-{id(parts)}?mode=memory&cache=shared"
            return Store(
                url,
                {
                    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                    "SQLITE_DBNAME": name,
                    "APPLICATION_RECORDER_TOPIC": RECORDER_TOPICS[
                        "eventsourcing.sqlite"
                    ],
                },
                f"sqlite+pysqlite:///{name}&uri=true",
            )
        resolved = str(Path(path).expanduser())
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": resolved,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": RECORDER_TOPICS["eventsourcing.sqlite"],
        }
        return Store(url, env, f"sqlite:///{resolved}")
    if scheme in ("postgresql", "postgres"):
        if not parts.hostname or not parts.path.strip("/"):
            raise InvalidInput(
                f"--db: {shown!r} needs a host and a database "
                "(expected postgresql://user:password@host:5432/dbname)"
            )
        port = _port(parts, shown)
        schema = _schema(parts.query, shown)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(port),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "2",
            "APPLICATION_RECORDER_TOPIC": RECORDER_TOPICS["eventsourcing.postgres"],
        }
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        host = parts.netloc.rsplit("@", 1)[-1]
        sa_url = f"postgresql+psycopg://{auth}{host}/{parts.path.strip('/')}"
        return Store(url, env, sa_url, schema)
    raise InvalidInput(
        f"--db: {shown!r} is not a supported store (expected {EXPECTED_URLS})"
    )


EXPECTED_URLS = "sqlite:///FILE.db or postgresql://user:password@host:5432/dbname"
# PostgreSQL's own limit is 63 bytes; a plain identifier needs no quoting to be read back.
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _port(parts: SplitResult, shown: str) -> int:
    """The URL's port (5432 when none is given), refused unless 1 to 65535."""
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        return 5432
    if not 1 <= port <= 65535:
        raise InvalidInput(
            f"--db: {shown!r} has a port that is not a number from 1 to 65535 "
            "(expected postgresql://user:password@host:5432/dbname)"
        )
    return port


def _schema(query: str, shown: str) -> str | None:
    """`?schema=NAME`: a plain identifier (letters, digits and _), or None when not given."""
    values = parse_qs(query).get("schema", [])
    if not values:
        return None
    if len(values) > 1 or not SCHEMA_NAME.fullmatch(values[0]):
        raise InvalidInput(
            f"--db: {shown!r}: ?schema= must be one name of letters, digits and _ "
            "(not starting with a digit, at most 63), like ?schema=casereview"
        )
    return values[0]


# Any fixed number: the key of the PostgreSQL advisory lock that serialises table creation.
DDL_LOCK_KEY = 0x43415345


@contextmanager
def ddl_lock(store: Store) -> Iterator[None]:
    """Serialise CREATE ... IF NOT EXISTS across processes starting at once on PostgreSQL,
    which otherwise fails with "tuple concurrently updated". SQLite serialises DDL itself."""
    if not store.is_postgres:
        yield
        return
    import psycopg
    from psycopg import sql

    env = store.env
    try:
        conn = psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            dbname=env["POSTGRES_DBNAME"],
            connect_timeout=5,
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        from casereview.errors import ServiceUnavailable

        host = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
        raise ServiceUnavailable(
            f"PostgreSQL at {host} is unavailable: {connection_failure(exc, store)}"
        ) from None
    with conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
        try:
            if store.schema:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        sql.Identifier(store.schema)
                    )
                )
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))


def connection_failure(exc: BaseException, store: Store) -> str:
    """Why a connection failed, on one line, without the store's password."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return redact("; ".join(lines) or type(exc).__name__, url_secrets(store.url))


def default_outbox(store: Store) -> Path:
    """Where letters go as .eml files when no SMTP server is configured."""
    dbname = store.env.get("SQLITE_DBNAME", "")
    if store.is_postgres or dbname.startswith("file:") or not dbname:
        return Path("outbox")
    return Path(dbname).resolve().parent / "outbox"
