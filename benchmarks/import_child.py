"""One complaint import in a process of its own, so its peak memory can be read alone.

`python benchmarks/import_child.py STORE_URL FILE.csv --clock ISO [--batch-size N]
[--progress]` imports the file with `casereview.bulk_import.importer.import_complaints` and prints one JSON
object: rows recorded, already recorded and rejected, the seconds the import took (the service
already built, so start-up is not counted), and `maxrss_kb`: this process's peak resident set
size plus that of the import's writer process, each its `VmHWM` from /proc read at the end (the
writer's just before it is closed). Not `ru_maxrss`: on Linux a process started from a larger
one inherits that one's peak in it (the benchmark's own, here). The interpreters, the
libraries and the import together, as the `casereview complaint import` process would hold).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def peak_kb(pid: str) -> int:
    """A live process's peak resident set size (VmHWM), in kB; ru_maxrss where /proc is not."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if pid == "self" else 0
        )
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("csv", type=Path)
    parser.add_argument(
        "--clock", required=True, help="ISO timestamp the clock starts at"
    )
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()

    from casereview.adapters.policy_files import SHIPPED_POLICIES
    from casereview.bootstrap import build_service, parse_store_url
    from casereview.bulk_import.importer import RejectFile, import_complaints
    from casereview.bulk_import.writer import ProcessWriter

    writer_peak = {"kb": 0}
    close = ProcessWriter.close

    def close_reading_peak(writer: ProcessWriter) -> None:
        writer_peak["kb"] = max(writer_peak["kb"], peak_kb(str(writer.process.pid)))
        close(writer)

    ProcessWriter.close = close_reading_peak  # type: ignore[method-assign,assignment]

    start = datetime.fromisoformat(args.clock)
    began = time.perf_counter()

    def clock() -> datetime:  # a fixed start that ticks with real time
        return start + timedelta(seconds=time.perf_counter() - began)

    store = parse_store_url(args.store)
    service = build_service(store, SHIPPED_POLICIES, clock=clock)
    # The look-up of references already recorded on other cases, as `complaint import` makes
    # it: the read model caught up first (the benchmark did that; not timed either way).
    from casereview.projections.runner import Projector

    projector = Projector(service.app, store)
    projector.catch_up()
    total = sum(1 for _ in args.csv.open(encoding="utf-8")) - 1
    reject_path = args.csv.with_suffix(".rejects.csv")

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    columns = (
        TextColumn("  importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
    )
    with (
        RejectFile(reject_path) as rejects,
        Progress(
            *columns,
            console=console,
            disable=not (args.progress and console.is_terminal),
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("rows", total=total, rate="")
        done = 0
        t0 = time.perf_counter()

        def progress(n: int) -> None:
            nonlocal done
            done += n
            rate = done / max(time.perf_counter() - t0, 1e-9)
            bar.update(task, advance=n, rate=f"{rate:,.0f} rows/s")

        result = import_complaints(
            service,
            args.csv,
            by="benchmark",
            batch_size=args.batch_size,
            progress=progress,
            reject=rejects,
            elsewhere=projector.reference_lookup(),
        )
        seconds = time.perf_counter() - t0
    projector.close()
    service.app.close()
    own_kb = peak_kb("self")
    writer_kb = writer_peak["kb"]
    maxrss_kb = own_kb + writer_kb  # both peaks, as if they had come at the same moment
    print(
        json.dumps(
            {
                "rows": total,
                "recorded": result.recorded,
                "already_recorded": result.already,
                "rejected": result.rejected,
                "seconds": seconds,
                "maxrss_kb": maxrss_kb,
                "own_maxrss_kb": own_kb,
                "writer_maxrss_kb": writer_kb,
            }
        )
    )


if __name__ == "__main__":
    main()
