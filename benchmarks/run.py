"""The casereview benchmark: the engine against the physical limit of the same database.

    python benchmarks/run.py [--quick|--full|--smoke] [--json] [--only sqlite|postgresql]

For each store (SQLite in a temporary directory; PostgreSQL in fresh schemas `bench_<random>`
and `bench_<random>_aux`, dropped afterwards, skipped with the reason when the server cannot be
reached) it measures, in the same run:

(a) raw_insert_per_s   executemany of event-sized rows (the library's stored-event shape) in one
                       transaction into a scratch table of the same database: the limit;
(b) import_per_s       complaints/s through the domain (`import_complaints`, in a child process;
                       applications received first and the CSV written first, neither timed);
                       ratio = b / a;
(c) rebuild_per_s      `Projector.rebuild()` events/s over the whole log;
(d) deadline_check_s   `check_deadlines` over the open deadlines, a few of them due;
(e) as_at_*_ms         a 200-event case as at a moment in its middle (`case_as_at`: the
                       events decoded once and folded up to the moment);
(f) decide_median_ms   `decide()` over a 50-complaint case (pure);
(g) simulate_s         `simulate()` over the past applications of one area;
(h) peak_rss_mb        peak resident memory of the import: its process plus its writer process
                       (VmHWM of each, summed);
plus help_s, the wall time of `casereview --help` (median of 5).

Sizes: --quick (default, about a minute or two), --full (the national year: 1,000,000 complaints
for 30,000 applications, 100,000 open deadlines, 30,000 applications simulated), --smoke (a few
hundred rows, for the test suite). Progress goes to stderr; the table, or with --json one JSON
object, to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` from a checkout
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table  # noqa: E402

from benchmarks.generate import (  # noqa: E402
    SEED,
    Application,
    complaint_dates,
    make_applications,
    shipped_bodies,
    write_complaints_csv,
)

if TYPE_CHECKING:
    from casereview.adapters.store import Store
    from casereview.domain.case import Case
    from casereview.services.cases import CaseService

CLOCK_START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
"""The benchmark's clock starts here and ticks with real time: every generated date (April
2025 to May 2026) is in its past, and so is the check's `today`."""
TODAY = CLOCK_START.date()
BY = "benchmark"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
CHILD = Path(__file__).resolve().parent / "import_child.py"
SIMULATED_AREA = "gosport"
AS_AT_AREA = "birmingham"


@dataclass(frozen=True)
class Sizes:
    applications: int
    complaints: int
    deadlines: int
    deadlines_due: int
    simulate: int
    as_at_events: int = 200
    as_at_repetitions: int = 200
    decide_complaints: int = 50
    decide_repetitions: int = 1000
    help_repetitions: int = 5


FULL = Sizes(
    applications=30_000,
    complaints=1_000_000,
    deadlines=100_000,
    deadlines_due=20,
    simulate=30_000,
)
SIZES = {
    "full": FULL,
    "quick": Sizes(
        applications=3_000,
        complaints=100_000,
        deadlines=10_000,
        deadlines_due=20,
        simulate=3_000,
    ),
    "smoke": Sizes(
        applications=40,
        complaints=300,
        deadlines=300,
        deadlines_due=3,
        simulate=50,
        as_at_repetitions=20,
        decide_repetitions=50,
        help_repetitions=3,
    ),
}

REQUIRED_KEYS = (
    "raw_insert_per_s",
    "import_per_s",
    "ratio",
    "rebuild_per_s",
    "deadline_check_s",
    "as_at_median_ms",
    "as_at_p99_ms",
    "decide_median_ms",
    "simulate_s",
    "peak_rss_mb",
)


@dataclass(frozen=True)
class Target:
    key: str
    limit: float
    higher_is_better: bool
    stores: tuple[str, ...] = ("sqlite", "postgresql")

    def judge(self, value: float) -> tuple[bool, str]:
        """(met, how far from the target, in words)."""
        times = value / self.limit
        if self.higher_is_better:
            met = value >= self.limit
            how = (
                f"met: {times:.2f}x the target"
                if met
                else f"missed by {(1 - times) * 100:.0f}%: {times:.2f}x the target"
            )
        else:
            met = value < self.limit
            how = (
                f"met: {times:.2f}x the limit"
                if met
                else f"missed by {(times - 1) * 100:.0f}%: {times:.2f}x the limit"
            )
        return met, how


TARGETS = {
    t.key: t
    for t in (
        Target("ratio", 0.5, higher_is_better=True),
        Target("rebuild_per_s", 20_000, higher_is_better=True, stores=("sqlite",)),
        Target("deadline_check_s", 1.0, higher_is_better=False),
        Target("as_at_median_ms", 10.0, higher_is_better=False),
        Target("decide_median_ms", 5.0, higher_is_better=False),
        Target("peak_rss_mb", 300.0, higher_is_better=False),
        Target("help_s", 0.3, higher_is_better=False),
    )
}


# ----- progress -------------------------------------------------------------------------


class Phases:
    """A line on stderr per phase with its time, and a rich bar on a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def note(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    @contextmanager
    def run(
        self, label: str, total: int | None = None
    ) -> Iterator[Callable[..., None]]:
        self.note(f"{label} ...")
        columns = (
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        t0 = time.perf_counter()
        with Progress(
            *columns,
            console=self.console,
            transient=True,
            disable=not self.console.is_terminal,
        ) as bar:
            task = bar.add_task(label, total=total)

            def advance(
                n: int = 1, *, completed: int | None = None, of: int | None = None
            ) -> None:
                if completed is not None:
                    bar.update(task, completed=completed, total=of)
                else:
                    bar.advance(task, n)

            yield advance
        self.note(f"  done in {time.perf_counter() - t0:.1f} s")


# ----- stores -------------------------------------------------------------------------------


@dataclass
class StoreUnderTest:
    """One store under test: where its main log and its auxiliary log live."""

    kind: str  # sqlite | postgresql
    url: str
    aux_url: str
    schemas: tuple[str, ...] = ()


def ticking_clock() -> Callable[[], datetime]:
    began = time.perf_counter()
    return lambda: CLOCK_START + timedelta(seconds=time.perf_counter() - began)


def open_service(url: str) -> tuple[Store, CaseService]:
    from casereview.adapters.policy_files import SHIPPED_POLICIES
    from casereview.bootstrap import build_service, parse_store_url

    store = parse_store_url(url)
    return store, build_service(store, SHIPPED_POLICIES, clock=ticking_clock())


def pg_connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    from casereview.adapters.store import parse_store_url

    env = parse_store_url(url).env
    return psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname=env["POSTGRES_DBNAME"],
        connect_timeout=3,
        **kwargs,
    )


def pg_problem(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with pg_connect(url) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"  # no credentials
        reason = " ".join(line.strip() for line in str(exc).strip().splitlines())
        return f"PostgreSQL at {where} is unreachable: {reason}"
    return None


def with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def drop_schemas(url: str, schemas: Sequence[str]) -> None:
    from psycopg import sql as pg_sql

    with pg_connect(url, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(
                pg_sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    pg_sql.Identifier(schema)
                )
            )


# ----- (a) the physical limit -------------------------------------------------------------

RAW_TABLE = "bench_raw_events"
RAW_CHUNK = 50_000


def event_states(rng: random.Random, count: int = 256) -> list[bytes]:
    """JSON bytes shaped like stored ComplaintRecorded events (about 300-600 bytes)."""
    states = []
    for i in range(count):
        person = f"p-{rng.getrandbits(64):016x}"
        summary = (
            None
            if rng.random() < 0.4
            else {
                "_type_": "personal",
                "_data_": {"subject": person, "text": "x" * rng.randint(20, 120)},
            }
        )
        state = {
            "timestamp": {
                "_type_": "datetime_iso",
                "_data_": f"2026-11-20T09:00:{i % 60:02d}.{rng.randrange(10**6):06d}+00:00",
            },
            "complaint_id": f"C{i + 1}",
            "agency": "Example Borough Police",
            "agency_ref": f"EBP/{i:07d}",
            "incident": None,
            "incident_on": {"_type_": "date_iso", "_data_": "2025-06-01"},
            "reported_on": {"_type_": "date_iso", "_data_": "2025-06-02"},
            "complainant": {
                "_type_": "person",
                "_data_": {
                    "id": person,
                    "name": "Alex Testwick",
                    "email": None,
                    "address": None,
                },
            },
            "hate": False,
            "summary": summary,
            "recorded_by": "benchmark",
            "class_version": 2,
        }
        states.append(json.dumps(state, separators=(",", ":")).encode())
    return states


def raw_rows(
    count: int, *, as_text: bool, seed: int = SEED
) -> Iterator[list[tuple[Any, int, str, bytes]]]:
    """Chunks of (originator_id, version, topic, state): 33 events per stream."""
    rng = random.Random(f"{seed}/raw")
    states = event_states(rng)
    topic = "casereview:ComplaintRecorded"
    done = 0
    stream: Any = None
    while done < count:
        chunk = []
        for i in range(done, min(done + RAW_CHUNK, count)):
            version = i % 33 + 1
            if version == 1:
                new = uuid.UUID(int=rng.getrandbits(128), version=4)
                stream = new.hex if as_text else new
            chunk.append((stream, version, topic, states[i % len(states)]))
        done += len(chunk)
        yield chunk


def raw_insert_sqlite(path: Path, count: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        conn.execute(  # the library's SQLite application table, to the letter
            f"CREATE TABLE {RAW_TABLE} (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        insert = f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?)"
        spent = 0.0
        conn.execute("BEGIN")
        for chunk in raw_rows(count, as_text=True):
            t0 = time.perf_counter()
            conn.executemany(insert, chunk)
            spent += time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("COMMIT")
        spent += time.perf_counter() - t0
        conn.execute(f"DROP TABLE {RAW_TABLE}")
    finally:
        conn.close()
    return count / spent


def raw_insert_postgres(url: str, schema: str, count: int) -> float:
    from psycopg import sql as pg_sql

    q, name = pg_sql.SQL, pg_sql.Identifier  # the schema is quoted, never pasted in
    table = name(schema, RAW_TABLE)
    with pg_connect(url, autocommit=True) as conn:
        conn.execute(q("CREATE SCHEMA IF NOT EXISTS {}").format(name(schema)))
        conn.execute(q("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(  # the library's PostgreSQL application table and its index
            q(
                "CREATE TABLE {} (originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, topic text, state bytea, "
                "notification_id bigserial, "
                "PRIMARY KEY (originator_id, originator_version))"
            ).format(table)
        )
        conn.execute(
            q("CREATE UNIQUE INDEX {} ON {} (notification_id ASC)").format(
                name(f"{RAW_TABLE}_nid"), table
            )
        )
        insert = (
            q(
                "INSERT INTO {} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s)"
            )
            .format(table)
            .as_string(conn)  # composed once, outside the timed inserts
        )
        spent = 0.0
        cur = conn.cursor()
        conn.execute("BEGIN")
        for chunk in raw_rows(count, as_text=False):
            t0 = time.perf_counter()
            cur.executemany(insert, chunk)
            spent += time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("COMMIT")
        spent += time.perf_counter() - t0
        conn.execute(q("DROP TABLE {}").format(table))
    return count / spent


# ----- building cases (setup, never timed) ------------------------------------------------


class Sequences:
    """The reference sequences of one store, issued in memory and saved with their cases."""

    def __init__(self, service: CaseService) -> None:
        self.app = service.app
        self.open: dict[tuple[str, int], Any] = {}

    def issue(self, area: str, year: int, at: datetime) -> str:
        from eventsourcing.application import AggregateNotFoundError

        from casereview.domain.sequence import ReferenceSequence, sequence_id

        sequence = self.open.get((area, year))
        if sequence is None:
            try:
                sequence = self.app.repository.get(sequence_id(area, year))
            except AggregateNotFoundError:
                sequence = ReferenceSequence.start(area, year, at=at)
            self.open[area, year] = sequence
        ref: str = sequence.issue(at=at)
        return ref

    def all(self) -> list[Any]:
        return list(self.open.values())


def new_case(
    service: CaseService,
    sequences: Sequences,
    a: Application,
    at: datetime,
    *,
    check_ref: bool = True,
) -> Case:
    from casereview.adapters.eventstore import new_person_id
    from casereview.domain.case import Case
    from casereview.domain.personal import Person

    ref = sequences.issue(a.area, a.received_on.year, at)
    if check_ref and ref != a.ref:
        raise RuntimeError(f"the store issued {ref}, the generator expected {a.ref}")
    return Case.receive(
        at=at,
        by=BY,
        ref=ref,
        area=a.area,
        received_on=a.received_on,
        applicant_kind="victim",
        applicant=Person(new_person_id(), a.applicant),
        victim=None,
        consent_on=None,
        hate=a.hate,
        vulnerable=a.vulnerable,
        summary=None,
        channel="benchmark",
    )


def receive_applications(
    service: CaseService,
    applications: Sequence[Application],
    advance: Callable[..., None],
    *,
    batch: int = 500,
) -> None:
    """Each application as `CaseReviews.receive_application` records it (the case, its
    reference, and the deadlines and letters its receipt starts), saved many to a transaction."""
    sequences = Sequences(service)
    follow_up = service.follow_up(BY)
    pending: list[Any] = []
    for a in applications:
        case = new_case(service, sequences, a, service.app.clock())
        pending += [case, *follow_up(case, 0)]
        if len(pending) >= batch:
            service.app.save(*pending, *sequences.all())
            advance(len(pending) // 2)
            pending = []
    service.app.save(*pending, *sequences.all())
    advance(len(pending) // 2)


def add_complaints(
    case: Case,
    rng: random.Random,
    count: int,
    agencies: Sequence[str],
    at: datetime,
    serial: str,
    step: timedelta = timedelta(0),
) -> None:
    """`count` complaints, the i-th recorded at `at + (i + 1) * step`."""
    for i in range(count):
        incident_on, reported_on = complaint_dates(rng, case.received_on)
        case.record_complaint(
            agency=rng.choice(agencies),
            incident_on=incident_on,
            reported_on=reported_on,
            complainant=case.applicant,
            agency_ref=f"{serial}/{i + 1:05d}",
            hate=rng.random() < 0.03,
            at=at + step * (i + 1),
            by=BY,
        )


def build_past_applications(
    service: CaseService,
    count: int,
    advance: Callable[..., None],
    *,
    batch: int = 300,
) -> None:
    """`count` decided and undecided applications of one area, each with 2-6 complaints."""
    rng = random.Random(f"{SEED}/simulate")
    agencies = shipped_bodies()[SIMULATED_AREA]
    sequences = Sequences(service)
    pending: list[Any] = []
    for n, a in enumerate(
        make_applications(count, [SIMULATED_AREA], seed=SEED + 1), start=1
    ):
        at = service.app.clock()
        case = new_case(service, sequences, a, at)
        add_complaints(case, rng, rng.randint(2, 6), agencies, at, f"SIM{n:06d}")
        if rng.random() < 0.5:
            case.decide_threshold(
                service.procedure_for(case),
                min(a.received_on + timedelta(days=10), TODAY),
                at=at,
                by=BY,
            )
        pending.append(case)
        if len(pending) >= batch:
            service.app.save(*pending, *sequences.all())
            advance(len(pending))
            pending = []
    service.app.save(*pending, *sequences.all())
    advance(len(pending))


def schedule_deadlines(
    service: CaseService,
    count: int,
    due: int,
    advance: Callable[..., None],
    *,
    batch: int = 1000,
) -> None:
    """`count` open deadlines as FollowUp schedules them (each area's longest timescale,
    counted on its nation's calendar), started in the last few days so that only `due` of
    them, started two months ago, have a reminder or breach to record today."""
    from casereview.domain.deadline import Deadline
    from casereview.services.followup import remind_on
    from casereview.thresholds.calendar import Rule

    rng = random.Random(f"{SEED}/deadlines")
    longest = [
        (area, procedure, max(procedure.timescales, key=lambda t: t.days))
        for area in service.policies.areas()
        if (procedure := service.policies.in_force(area, TODAY)).timescales
    ]
    dues: dict[tuple[str, date], Any] = {}

    def due_of(area: str, procedure: Any, timescale: Any, start_on: date) -> Any:
        key = (area, start_on)
        if key not in dues:
            calendar = service.calendar(procedure.nation)
            rule = Rule(timescale.days, timescale.unit, timescale.roll_forward)
            found = calendar.due(start_on, rule)
            dues[key] = (rule, found, remind_on(calendar, found.due_on, timescale))
        return dues[key]

    pending: list[Any] = []
    for i in range(count):
        area, procedure, timescale = longest[i % len(longest)]
        if i < due:
            start_on = TODAY - timedelta(days=60)
            rule, found, remind = due_of(area, procedure, timescale, start_on)
        else:  # started in the last few days, or today if that would already be due
            start_on = TODAY - timedelta(days=rng.randrange(0, 3))
            rule, found, remind = due_of(area, procedure, timescale, start_on)
            if found.due_on <= TODAY or (remind is not None and remind <= TODAY):
                start_on = TODAY
                rule, found, remind = due_of(area, procedure, timescale, start_on)
        pending.append(
            Deadline.schedule(
                ref=f"{area.upper()}-2026-{90000 + i:06d}",
                kind=timescale.name,
                step_index=0,
                at=service.app.clock(),
                by=BY,
                from_step=timescale.from_,
                until_step=timescale.until,
                start_on=start_on,
                rule=str(rule),
                due_on=found.due_on,
                remind_on=remind,
                calendar=found.calendar,
                explanation=found.explanation(),
                notify=list(timescale.notify),
                policy=procedure.version,
            )
        )
        if len(pending) >= batch:
            service.app.save(*pending)
            advance(len(pending))
            pending = []
    service.app.save(*pending)
    advance(len(pending))


def build_long_case(service: CaseService, events: int) -> tuple[str, datetime]:
    """A case of `events` events, one an hour from 1 April 2026; returns its reference and
    the moment halfway through its history."""
    rng = random.Random(f"{SEED}/as-at")
    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    sequences = Sequences(service)
    a = Application(
        ref="",
        area=AS_AT_AREA,
        received_on=date(2026, 3, 31),
        applicant="Kit Benchworth",
        hate=False,
        vulnerable=False,
    )
    case = new_case(service, sequences, a, start, check_ref=False)
    add_complaints(
        case,
        rng,
        events - 1,
        shipped_bodies()[AS_AT_AREA],
        start,
        "ASAT",
        timedelta(hours=1),
    )
    service.app.save(case, *sequences.all())
    return case.ref, start + timedelta(hours=events // 2, minutes=30)


def decision_case(service: CaseService, complaints: int) -> Case:
    """An unsaved case with `complaints` complaints, for the pure threshold decision."""
    rng = random.Random(f"{SEED}/decide")
    at = CLOCK_START
    sequences = Sequences(service)
    a = Application(
        ref="",
        area="suffolk",
        received_on=date(2026, 2, 2),
        applicant="Rae Synthwell",
        hate=False,
        vulnerable=False,
    )
    case = new_case(service, sequences, a, at, check_ref=False)
    add_complaints(case, rng, complaints, shipped_bodies()["suffolk"], at, "DEC")
    return case


# ----- measuring ------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def close_service(service: CaseService) -> None:
    with suppress(Exception):
        service.app.close()


def run_import(
    url: str, csv_path: Path, batch_size: int, *, progress: bool
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(CHILD),
        url,
        str(csv_path),
        "--clock",
        CLOCK_START.isoformat(),
        "--batch-size",
        str(batch_size),
    ]
    if progress:
        command.append("--progress")
    done = subprocess.run(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_store(
    target: StoreUnderTest,
    sizes: Sizes,
    applications: Sequence[Application],
    csv_path: Path,
    phases: Phases,
    batch_size: int,
) -> dict[str, Any]:
    from casereview.projections.runner import Projector
    from casereview.services.overdue import check_deadlines
    from casereview.services.simulation import simulate
    from casereview.thresholds.rules import decide

    name = target.kind
    out: dict[str, Any] = {}

    store, service = open_service(
        target.url
    )  # creates the tables (SQLite: in WAL mode)
    try:
        # (a) the limit, in a scratch table of the same database
        with phases.run(f"[{name}] (a) raw insert of {sizes.complaints:,} event rows"):
            if target.kind == "sqlite":
                path = Path(store.env["SQLITE_DBNAME"])
                out["raw_insert_per_s"] = raw_insert_sqlite(path, sizes.complaints)
            else:
                out["raw_insert_per_s"] = raw_insert_postgres(
                    target.url, target.schemas[0], sizes.complaints
                )
        out["raw_insert_rows"] = sizes.complaints

        # (b) the import, after the applications are received
        with phases.run(
            f"[{name}] receiving {len(applications):,} applications (setup, not timed)",
            len(applications),
        ) as advance:
            receive_applications(service, applications, advance)
        with phases.run(f"[{name}] read models caught up (setup, not timed)"):
            # As after any command: `complaint import` then finds them current.
            caught_up = Projector(service.app, store)
            caught_up.catch_up()
            caught_up.close()
        phases.note(f"[{name}] (b) importing {sizes.complaints:,} complaints ...")
        child = run_import(
            target.url, csv_path, batch_size, progress=phases.console.is_terminal
        )
        if child["recorded"] != sizes.complaints:
            raise RuntimeError(
                f"{name}: the import recorded {child['recorded']} of {sizes.complaints} rows "
                f"({child['rejected']} rejected, {child['already_recorded']} already there)"
            )
        phases.note(f"  done in {child['seconds']:.1f} s")
        out["import_per_s"] = child["recorded"] / child["seconds"]
        out["import_rows"] = child["recorded"]
        out["import_s"] = child["seconds"]
        out["import_batch_size"] = batch_size
        out["applications"] = len(applications)
        out["ratio"] = out["import_per_s"] / out["raw_insert_per_s"]
        out["peak_rss_mb"] = child["maxrss_kb"] / 1024
        out["peak_rss_import_mb"] = child["own_maxrss_kb"] / 1024
        out["peak_rss_writer_mb"] = child["writer_maxrss_kb"] / 1024
        out["peak_rss_method"] = (
            "VmHWM of the child process running only the import plus that of its writer "
            "process, each read at its end; interpreters and libraries included"
        )

        # (e) setup: a long case, so the rebuild covers it too
        ref, middle = build_long_case(service, sizes.as_at_events)

        # (c) rebuild over the whole log
        projector = Projector(service.app, store)
        try:
            with phases.run(f"[{name}] (c) projection rebuild") as advance:
                seconds, events = timed(
                    lambda: projector.rebuild(
                        lambda at, head: advance(completed=at, of=head)
                    )
                )
            out["rebuild_per_s"] = events / seconds
            out["rebuild_events"] = events
            out["rebuild_s"] = seconds
        finally:
            projector.close()

        # (e) as-at replay
        with phases.run(
            f"[{name}] (e) as-at replay of a {sizes.as_at_events}-event case "
            f"x{sizes.as_at_repetitions}",
            sizes.as_at_repetitions,
        ) as advance:
            samples = []
            past = None
            for _ in range(sizes.as_at_repetitions):
                t0 = time.perf_counter()
                past = service.app.case_as_at(ref, middle)
                samples.append(time.perf_counter() - t0)
                advance()
        out["as_at_median_ms"] = statistics.median(samples) * 1000
        out["as_at_p99_ms"] = percentile(samples, 0.99) * 1000
        out["as_at_events"] = sizes.as_at_events
        out["as_at_version"] = past.version if past is not None else None
        out["as_at_repetitions"] = sizes.as_at_repetitions

        # (f) the threshold decision, pure
        case = decision_case(service, sizes.decide_complaints)
        procedure = service.procedure_for(case)
        samples = []
        for _ in range(sizes.decide_repetitions):
            t0 = time.perf_counter()
            decide(
                case.complaints.values(),
                case.received_on,
                procedure,
                hate_application=case.hate,
                vulnerable=case.vulnerable,
            )
            samples.append(time.perf_counter() - t0)
        out["decide_median_ms"] = statistics.median(samples) * 1000
        out["decide_complaints"] = sizes.decide_complaints
        out["decide_repetitions"] = sizes.decide_repetitions
    finally:
        close_service(service)

    # (d) and (g) in a second log of their own: past applications of one area, and open
    # deadlines that are not yet due (the received applications above are all overdue).
    aux_store, aux = open_service(target.aux_url)
    try:
        with phases.run(
            f"[{name}] {sizes.simulate:,} past {SIMULATED_AREA} applications (setup, not timed)",
            sizes.simulate,
        ) as advance:
            build_past_applications(aux, sizes.simulate, advance)
        with phases.run(
            f"[{name}] {sizes.deadlines:,} open deadlines (setup, not timed)",
            sizes.deadlines,
        ) as advance:
            schedule_deadlines(aux, sizes.deadlines, sizes.deadlines_due, advance)
        projector = Projector(aux.app, aux_store)
        try:
            with phases.run(
                f"[{name}] catching the read models up (setup, not timed)"
            ) as advance:
                projector.catch_up(lambda at, head: advance(completed=at, of=head))
            open_rows = len(projector.deadline_rows(state="open"))
            with phases.run(f"[{name}] (d) deadlines check over {open_rows:,} open"):
                seconds, result = timed(
                    lambda: check_deadlines(
                        aux, projector, TODAY, by=BY, composer=aux.composer
                    )
                )
            out["deadline_check_s"] = seconds
            out["deadlines_open"] = open_rows
            out["deadlines_recorded"] = len(result.breached) + len(result.reminded)
        finally:
            projector.close()

        base = aux.policies.in_force(SIMULATED_AREA, date(2025, 4, 1))
        proposed = base.model_copy(
            update={"threshold": base.threshold.model_copy(update={"complaints": 2})}
        )
        with phases.run(f"[{name}] (g) simulate over {sizes.simulate:,} applications"):
            seconds, simulation = timed(lambda: simulate(aux, SIMULATED_AREA, proposed))
        out["simulate_s"] = seconds
        out["simulate_applications"] = simulation.cases
        out["simulate_flips"] = len(simulation.flips)
    finally:
        close_service(aux)
    return out


def help_seconds(repetitions: int) -> tuple[float, str]:
    """Median wall time of `casereview --help` as a fresh process (after one warm-up)."""
    exe = shutil.which("casereview")
    command = [exe, "--help"] if exe else [sys.executable, "-m", "casereview", "--help"]
    shown = "casereview --help" if exe else "python -m casereview --help"
    samples = []
    for i in range(repetitions + 1):
        t0 = time.perf_counter()
        subprocess.run(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
        )
        if i:  # the first run compiles and caches; not counted
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples), shown


# ----- output -----------------------------------------------------------------------------

ROWS: tuple[tuple[str, str, str, str], ...] = (
    # (key, label, unit format, target text)
    ("raw_insert_per_s", "(a) raw insert, event rows/s", "{:,.0f}", "the limit"),
    ("import_per_s", "(b) import, complaints/s", "{:,.0f}", ""),
    ("ratio", "    ratio b/a", "{:.2f}", ">= 0.5"),
    (
        "rebuild_per_s",
        "(c) projection rebuild, events/s",
        "{:,.0f}",
        ">= 20,000 (SQLite)",
    ),
    ("deadline_check_s", "(d) deadlines check, s", "{:.3f}", "< 1 s"),
    ("as_at_median_ms", "(e) as-at replay median, ms", "{:.2f}", "< 10 ms"),
    ("as_at_p99_ms", "    as-at replay p99, ms", "{:.2f}", ""),
    ("decide_median_ms", "(f) threshold decision median, ms", "{:.3f}", "< 5 ms"),
    ("simulate_s", "(g) policy simulation, s", "{:.2f}", ""),
    ("peak_rss_mb", "(h) peak import memory, MB", "{:.0f}", "< 300 MB"),
)


def judged(report: dict[str, Any]) -> None:
    """Add `targets`: for each figure with a target, the target, met or not, and how far."""
    for store, figures in report.items():
        if not isinstance(figures, dict) or "ratio" not in figures:
            continue
        checks = {}
        for key, target in TARGETS.items():
            if key in figures and store in target.stores:
                met, how = target.judge(figures[key])
                checks[key] = {"target": target.limit, "met": met, "how": how}
        figures["targets"] = checks
    met, how = TARGETS["help_s"].judge(report["help_s"])
    report["help_target"] = {"target": 0.3, "met": met, "how": how}


def verdict(how: str) -> str:
    return how.replace("met", "MET", 1).replace("missed", "MISSED", 1)


def cell(figures: dict[str, Any], key: str, fmt: str) -> str:
    if "skipped" in figures:
        return "skipped"
    text = fmt.format(figures[key])
    if key == "deadline_check_s":
        text += f" ({figures['deadlines_recorded']} due, recorded)"
    if key == "simulate_s":
        text += f" ({figures['simulate_flips']:,} flips)"
    check = figures.get("targets", {}).get(key)
    if check is not None:
        text += "\n" + verdict(check["how"])
    return text


def print_table(report: dict[str, Any], console: Console) -> None:
    stores = [s for s in ("sqlite", "postgresql") if s in report]
    table = Table(title=f"casereview benchmark ({report['mode']})", show_lines=True)
    table.add_column("measure")
    table.add_column("target")
    for store in stores:
        table.add_column("SQLite" if store == "sqlite" else "PostgreSQL")
    for key, label, fmt, target in ROWS:
        label_text = label
        if key == "deadline_check_s":
            label_text += f"\n{report['sizes']['deadlines']:,} open, a few due"
        if key == "simulate_s":
            label_text += f"\nover {report['sizes']['simulate']:,} applications"
        if key == "import_per_s":
            label_text += f"\n{report['sizes']['complaints']:,} complaints"
        table.add_row(label_text, target, *(cell(report[s], key, fmt) for s in stores))
    help_text = f"{report['help_s']:.3f}\n{verdict(report['help_target']['how'])}"
    measured = [s for s in stores if "skipped" not in report[s]] or stores
    table.add_row(  # one figure, not per store: shown once
        f"--help start-up, s\n{report['help_command']}, median",
        "< 0.3 s",
        *(help_text if store == measured[0] else "" for store in stores),
    )
    console.print(table)
    for store in stores:
        figures = report[store]
        if "skipped" in figures:
            console.print(f"{store}: skipped: {figures['skipped']}", markup=False)
    for note in report["notes"]:
        console.print(f"- {note}", markup=False, highlight=False)


# ----- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="casereview benchmark: the engine against the same database's limit"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick")
    mode.add_argument("--full", dest="mode", action="store_const", const="full")
    mode.add_argument(
        "--smoke",
        dest="mode",
        action="store_const",
        const="smoke",
        help="tiny, for tests",
    )
    parser.set_defaults(mode="quick")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CASEREVIEW_BENCH_PG", DEFAULT_PG),
        help=f"PostgreSQL server and database (default {DEFAULT_PG} or $CASEREVIEW_BENCH_PG)",
    )
    parser.add_argument("--applications", type=int, help="override the mode's size")
    parser.add_argument("--complaints", type=int, help="override the mode's size")
    parser.add_argument(
        "--order",
        choices=("date", "case", "random"),
        default="date",
        help="row order of the generated CSV (default: by day reported, as exports are)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=5000,
        help="import batch size (the CLI default)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = SIZES[args.mode]
    if args.applications:
        sizes = replace(sizes, applications=args.applications)
    if args.complaints:
        sizes = replace(sizes, complaints=args.complaints)
    console = Console(stderr=True)
    phases = Phases(console)
    report: dict[str, Any] = {"mode": args.mode, "sizes": asdict(sizes)}
    notes = [
        f"sizes: {sizes.applications:,} applications over the shipped areas (April 2025 "
        f"to March 2026), {sizes.complaints:,} complaints in the CSV ordered by "
        f"{args.order}; import batch size {args.batch_size}",
    ]
    if args.mode != "full":
        notes.append(
            f"{args.mode} run, scaled down from the national year: (d) over "
            f"{sizes.deadlines:,} open deadlines instead of {FULL.deadlines:,}, (g) over "
            f"{sizes.simulate:,} applications instead of {FULL.simulate:,}, the import over "
            f"{sizes.complaints:,} complaints instead of {FULL.complaints:,}"
        )

    targets: list[StoreUnderTest] = []
    work = Path(tempfile.mkdtemp(prefix="casereview-bench-"))
    if args.only in (None, "sqlite"):
        targets.append(
            StoreUnderTest(
                "sqlite",
                f"sqlite:///{work / 'bench.db'}",
                f"sqlite:///{work / 'aux.db'}",
            )
        )
    if args.only in (None, "postgresql"):
        problem = pg_problem(args.pg_url)
        if problem is None:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            targets.append(
                StoreUnderTest(
                    "postgresql",
                    with_schema(args.pg_url, schema),
                    with_schema(args.pg_url, f"{schema}_aux"),
                    (schema, f"{schema}_aux"),
                )
            )
        else:
            phases.note(f"PostgreSQL skipped: {problem}")
            report["postgresql"] = {"skipped": problem}
    else:
        report["postgresql"] = {"skipped": "not requested (--only sqlite)"}
    if args.only == "postgresql":
        report["sqlite"] = {"skipped": "not requested (--only postgresql)"}

    try:
        with phases.run("generating the data (not timed)"):
            applications = make_applications(sizes.applications)
            csv_path = work / "complaints.csv"
            write_complaints_csv(
                csv_path, applications, sizes.complaints, order=args.order
            )
        for target in targets:
            try:
                report[target.kind] = bench_store(
                    target, sizes, applications, csv_path, phases, args.batch_size
                )
                # A long run keeps each store's figures even if a later one is stopped.
                print(
                    json.dumps({target.kind: report[target.kind]}, default=str),
                    file=sys.stderr,
                    flush=True,
                )
            finally:
                if target.schemas:
                    drop_schemas(args.pg_url, target.schemas)
        with phases.run("casereview --help start-up"):
            report["help_s"], report["help_command"] = help_seconds(
                sizes.help_repetitions
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    judged(report)
    report["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    notes.append(
        "peak memory: VmHWM of a child process running only the import plus that of "
        "its writer process, summed (interpreters and libraries included)"
    )
    notes.append(
        "(d) deadlines and (g) past applications live in a second log of their own; "
        "(c) rebuilds the main log (applications, their deadlines, the imported complaints)"
    )
    report["notes"] = notes
    if args.json:
        print(json.dumps(report))
    else:
        out = Console()
        print_table(report, out if out.is_terminal else Console(width=120))
    return 0


if __name__ == "__main__":
    sys.exit(main())
