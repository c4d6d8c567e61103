"""The import's batches against a real store (SQLite and PostgreSQL): each row recorded once,
across batches built while the previous one is saved, through duplicates in the file and
another writer changing a case mid-import."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

import casereview.import_pipeline as pipeline
from casereview.adapters.ledger import verify_log
from casereview.errors import ServiceUnavailable
from casereview.import_writer import ProcessWriter, ThreadWriter
from casereview.importer import import_complaints
from casereview.services.cases import CaseService

HEADER = "case_ref,agency,agency_ref,incident_on,reported_on,hate,summary\n"
BY = "importer"


def receive(service: CaseService, name: str) -> str:
    return service.receive(
        area="gosport",
        received_on=date(2026, 3, 2),
        applicant_name=name,
        by="officer-1",
    )


def export(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(
        HEADER
        + "".join(
            f"{ref},Hampshire Police,{agency_ref},2026-02-01,2026-02-02,false,noise\n"
            for ref, agency_ref in rows
        ),
        encoding="utf-8",
    )
    return path


def references(service: CaseService, ref: str) -> list[str | None]:
    return [c.agency_ref for c in service.app.get_case(ref).complaints.values()]


def test_rows_spread_over_many_small_batches_are_each_recorded_once_in_order(
    service: CaseService, tmp_path: Path
) -> None:
    a, b = receive(service, "Ann Able"), receive(service, "Ben Baker")
    rows = [(a if i % 3 else b, f"P-{i}") for i in range(40)]
    source = export(tmp_path / "export.csv", rows)

    result = import_complaints(service, source, by=BY, batch_size=3)

    assert (result.recorded, result.already, result.rejected) == (40, 0, 0)
    assert references(service, a) == [r for ref, r in rows if ref == a]
    assert references(service, b) == [r for ref, r in rows if ref == b]
    case = service.app.get_case(a)
    assert list(case.complaints) == [
        f"C{i}" for i in range(1, len(case.complaints) + 1)
    ]
    assert verify_log(service.app).ok


def test_a_row_repeated_in_the_file_is_recorded_once_wherever_the_repeat_falls(
    service: CaseService, tmp_path: Path
) -> None:
    ref = receive(service, "Cat Cole")
    # P-1 again in the same batch, P-2 again in the batch after (in flight when it is built),
    # P-3 again two batches on (saved by then).
    rows = [(ref, r) for r in ("P-1", "P-1", "P-2", "P-4", "P-2", "P-5", "P-6", "P-3")]
    rows += [(ref, r) for r in ("P-7", "P-8", "P-3")]
    source = export(tmp_path / "export.csv", rows)

    result = import_complaints(service, source, by=BY, batch_size=3)

    assert (result.recorded, result.already) == (8, 3)
    assert references(service, ref) == [f"P-{i}" for i in (1, 2, 4, 5, 6, 3, 7, 8)]
    again = import_complaints(service, source, by=BY, batch_size=3)
    assert (again.recorded, again.already, again.rejected) == (0, 11, 0)


def test_another_writer_changing_a_case_mid_import_loses_and_duplicates_nothing(
    service: CaseService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = receive(service, "Dan Dale")
    other = receive(service, "Eve East")
    rows = [(ref if i % 2 else other, f"P-{i}") for i in range(12)]
    source = export(tmp_path / "export.csv", rows)
    calls = 0

    def clerk_first(save: Any) -> Any:
        def interleaved(self: Any, events: Any) -> Any:
            nonlocal calls
            calls += 1
            # A clerk records a complaint just before these batches are saved.
            if calls in (2, 3):
                service.add_complaint(
                    ref,
                    agency="Gosport Borough Council",
                    agency_ref=f"GBC-{calls}",
                    incident_on=date(2026, 2, 3),
                    reported_on=date(2026, 2, 4),
                    by="officer-1",
                )
            return save(self, events)

        return interleaved

    # Batches are saved here (the first, and any saved again after a clash) or handed to
    # the writer process.
    monkeypatch.setattr(
        pipeline.Pipeline, "_insert", clerk_first(pipeline.Pipeline._insert)
    )
    for writer in (ProcessWriter, ThreadWriter):
        monkeypatch.setattr(writer, "submit", clerk_first(writer.submit))

    result = import_complaints(service, source, by=BY, batch_size=4)

    assert (result.recorded, result.already, result.rejected) == (12, 0, 0)
    held = references(service, ref)
    assert sorted(r for r in held if r and r.startswith("P-")) == sorted(
        r for case, r in rows if case == ref
    )
    assert sorted(r for r in held if r and r.startswith("GBC-")) == ["GBC-2", "GBC-3"]
    assert len(held) == len(set(held))
    assert references(service, other) == [r for case, r in rows if case == other]
    assert calls > 3  # the clashing batches were saved again
    assert verify_log(service.app).ok


def test_rows_naming_no_case_are_rejected_and_the_rest_recorded(
    service: CaseService, tmp_path: Path
) -> None:
    ref = receive(service, "Fay Ford")
    rows = [
        (ref, "P-1"),
        ("GOSPORT-2026-0999", "P-2"),
        ("not-a-ref", "P-3"),
        (ref, "P-4"),
    ]
    rejected: list[tuple[int, str]] = []

    result = import_complaints(
        service,
        export(tmp_path / "export.csv", rows),
        by=BY,
        batch_size=2,
        reject=lambda r: rejected.append((r[0], r[1])),
    )

    assert (result.recorded, result.rejected) == (2, 2)
    assert [line for line, _ in rejected] == [3, 4]
    assert "GOSPORT-2026-0999" in rejected[0][1]
    assert "not a case reference" in rejected[1][1]
    assert references(service, ref) == ["P-1", "P-4"]


def test_a_writer_process_that_dies_stops_the_import_and_a_rerun_completes_it(
    service: CaseService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = receive(service, "Gil Gray")
    rows = [(ref, f"P-{i}") for i in range(9)]
    source = export(tmp_path / "export.csv", rows)
    submit = ProcessWriter.submit

    def killed_first(writer: ProcessWriter, events: Any) -> None:
        writer.process.kill()
        writer.process.wait()
        submit(writer, events)

    monkeypatch.setattr(ProcessWriter, "submit", killed_first)
    with pytest.raises(ServiceUnavailable, match="writer process stopped"):
        import_complaints(service, source, by=BY, batch_size=3)
    monkeypatch.undo()

    again = import_complaints(service, source, by=BY, batch_size=3)

    assert again.already == 3  # the first batch, saved before the writer started
    assert references(service, ref) == [r for _, r in rows]
    assert verify_log(service.app).ok


def test_an_in_memory_store_is_saved_on_a_thread(tmp_path: Path) -> None:
    from casereview.adapters.policy_files import SHIPPED_POLICIES
    from casereview.bootstrap import build_service, parse_store_url
    from tests.conftest import FixedClock

    memory = build_service(parse_store_url("sqlite://"), SHIPPED_POLICIES, FixedClock())
    try:
        ref = receive(memory, "Hal Hume")
        rows = [(ref, f"P-{i}") for i in range(5)]
        result = import_complaints(
            memory, export(tmp_path / "export.csv", rows), by=BY, batch_size=2
        )
        assert (result.recorded, result.rejected) == (5, 0)
        assert references(memory, ref) == [r for _, r in rows]
    finally:
        memory.app.close()


def test_a_file_of_one_batch_starts_no_writer_process(
    service: CaseService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(self: ProcessWriter, env: Any) -> None:
        raise AssertionError("a writer process was started")

    monkeypatch.setattr(ProcessWriter, "__init__", no_process)
    ref = receive(service, "Ida Ives")
    rows = [(ref, f"P-{i}") for i in range(4)]

    result = import_complaints(
        service, export(tmp_path / "export.csv", rows), by=BY, batch_size=4
    )

    assert (result.recorded, result.rejected) == (4, 0)
