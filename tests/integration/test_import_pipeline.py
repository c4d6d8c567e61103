"""The import's batches against a real store (SQLite and PostgreSQL): each row recorded once,
across batches built while the previous one is saved, through duplicates in the file and
another writer changing a case mid-import."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

import casereview.bulk_import.pipeline as pipeline
from casereview.adapters.ledger import verify_log
from casereview.bulk_import.importer import import_complaints
from casereview.bulk_import.writer import ProcessWriter, ThreadWriter
from casereview.errors import ServiceUnavailable
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


def test_a_reference_recorded_on_one_case_is_refused_on_another_in_any_later_batch(
    service: CaseService, tmp_path: Path
) -> None:
    a, b = receive(service, "Jo Jones"), receive(service, "Kit King")
    # P-1 on `a` in the first batch; on `b` in the same batch, the next (built while the
    # first is in flight) and one after that (saved by then), spelled differently each time.
    rows = [(a, "P-1"), (b, "p-1"), (a, "P-2"), (b, " P-1"), (b, "X-1"), (b, "X-2")]
    rows += [(b, "X-3"), (b, "P-1 "), (a, "P-3")]
    rejected: list[tuple[int, str]] = []

    result = import_complaints(
        service,
        export(tmp_path / "export.csv", rows),
        by=BY,
        batch_size=3,
        reject=lambda r: rejected.append((r[0], r[1])),
    )

    assert (result.recorded, result.rejected) == (6, 3)
    assert [line for line, _ in rejected] == [3, 5, 9]
    assert all(f"already recorded on {a} as complaint C1" in why for _, why in rejected)
    assert references(service, a) == ["P-1", "P-2", "P-3"]
    assert references(service, b) == ["X-1", "X-2", "X-3"]


def test_a_reference_the_read_model_holds_on_another_case_is_refused(
    service: CaseService, db_url: str, tmp_path: Path
) -> None:
    from casereview.bootstrap import parse_store_url
    from casereview.projections.runner import Projector

    a, b = receive(service, "Lee Lowe"), receive(service, "Mo Moss")
    import_complaints(service, export(tmp_path / "first.csv", [(a, "Q-1")]), by=BY)
    projector = Projector(service.app, parse_store_url(db_url))
    try:
        projector.catch_up()
        rejected: list[str] = []
        result = import_complaints(
            service,
            export(tmp_path / "second.csv", [(a, "q-1"), (b, "Q-1"), (b, "Q-2")]),
            by=BY,
            reject=lambda r: rejected.append(r[1]),
            elsewhere=projector.recorded_under,
        )
    finally:
        projector.close()

    assert (result.recorded, result.already, result.rejected) == (1, 1, 1)
    assert rejected == [
        f"{b}: Hampshire Police reference 'Q-1' is already recorded on {a} as complaint "
        "C1 (an agency's reference identifies one complaint; correct the reference or "
        "record it on that case)"
    ]
    assert references(service, b) == ["Q-2"]


def test_a_row_csv_gives_up_on_is_skipped_to_its_end_and_the_next_rows_read(
    service: CaseService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import casereview.bulk_import.importer as importer

    monkeypatch.setattr(importer, "LINE_LIMIT", 200)
    ref = receive(service, "Ned North")
    good = "{ref},Hampshire Police,{r},2026-02-01,2026-02-02,false,{s}\n"
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER
        + good.format(ref=ref, r="S-1", s="one")
        # A line over LINE_LIMIT, whose quoted cell goes on over the next lines and holds
        # what looks like rows, commas and doubled quotes.
        + good.format(ref=ref, r="S-2", s='"' + "w" * 300 + "\n")
        + good.format(ref=ref, r="S-3", s='""quoted"", not a row')
        + 'end of it"\n'
        + good.format(ref=ref, r="S-4", s="two")
        # A cell over CELL_LIMIT in a short-lined quoted cell, then a row on its last line.
        + good.format(ref=ref, r="S-5", s='"' + ("v" * 150 + "\n") * 40 + '"')
        + good.format(ref=ref, r="S-6", s="three"),
        encoding="utf-8",
    )
    rejected: list[tuple[int, str]] = []

    result = import_complaints(
        service, source, by=BY, reject=lambda r: rejected.append((r[0], r[1]))
    )

    assert references(service, ref) == ["S-1", "S-4", "S-6"]
    # S-2 is lines 3-6 (its cell holds a blank line), S-5 lines 8-48.
    assert [line for line, _ in rejected] == [3, 8]
    assert result.rejected == 2


def test_lines_ending_in_a_lone_carriage_return_or_with_a_bom_are_read(
    service: CaseService, tmp_path: Path
) -> None:
    ref = receive(service, "Oli Owen")
    rows = [
        f"{ref},Hampshire Police,T-{i},2026-02-01,2026-02-02,false,x" for i in (1, 2)
    ]
    source = tmp_path / "export.csv"
    source.write_bytes(
        b"\xef\xbb\xbf" + (HEADER.strip() + "\r" + "\r".join(rows) + "\r").encode()
    )

    result = import_complaints(service, source, by=BY)

    assert (result.recorded, result.rejected) == (2, 0)
    assert references(service, ref) == ["T-1", "T-2"]


def test_the_table_of_references_recorded_finds_claims_releases_and_grows() -> None:
    table = pipeline.Recorded()
    keys = [hash(("agency", f"r-{i}")) for i in range(5000)] + [0]

    claims = [table.claim(key, f"CASE-{i % 7}") for i, key in enumerate(keys)]

    assert all(other is None for other, _ in claims)
    assert table.claim(keys[0], "CASE-0") == (None, -1)  # held by it already
    other, slot = table.claim(keys[1], "CASE-9")
    assert other == "CASE-1"
    table.take(slot, "CASE-9")
    assert table.claim(keys[1], "CASE-1")[0] == "CASE-9"
    other, slot = table.claim(hash(("agency", "new")), "CASE-2")
    table.release(slot)  # not recorded after all
    assert table.claim(hash(("agency", "new")), "CASE-3") == (None, slot)
    assert table.claim(0, "CASE-4")[0] == "CASE-2"  # 0 is a key too
    assert table.mask + 1 >= 2 * table.size
