"""Agency exports imported in bulk: complaints recorded exactly as `complaint add` would
record them (the same events, deadlines, letters and read models), fast and idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casereview.bulk_import.importer import (
    ImportResult,
    RejectFile,
    check_reject_file,
    import_complaints,
)
from casereview.services.cases import CaseService


@dataclass(frozen=True)
class Imported:
    """An import's counts, and the reject file when any row was rejected."""

    result: ImportResult
    reject_file: Path | None

    @property
    def recorded(self) -> int:
        return self.result.recorded

    @property
    def already(self) -> int:
        return self.result.already

    @property
    def rejected(self) -> int:
        return self.result.rejected

    def to_json(self) -> dict[str, Any]:
        return {
            **self.result.to_json(),
            "reject_file": str(self.reject_file) if self.reject_file else None,
        }


class ImportService:
    """`complaint import`."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def complaints(
        self,
        path: Path,
        *,
        reject_file: Path | None = None,
        batch_size: int = 5000,
        by: str,
        total: Callable[[int], None] | None = None,
        progress: Callable[[int], None] | None = None,
        count_rows: bool = False,
    ) -> Imported:
        """Import the CSV at `path`; bad rows go to `reject_file` (default FILE.rejects.csv)
        with their line number and reason. `count_rows` counts the file's rows first, for a
        progress bar's length (`total`)."""
        reject_file = reject_file or path.with_suffix(".rejects.csv")
        check_reject_file(path, reject_file)  # before anything is opened for writing
        # The read models say which case each agency reference is already on.
        projector = (
            self.cases.read_models.for_reading()
            if self.cases.read_models is not None
            else None
        )
        if count_rows and total is not None:
            with path.open(encoding="utf-8-sig", errors="replace") as lines:
                total(max(sum(1 for _ in lines) - 1, 0))
        with RejectFile(reject_file) as rejects:
            result = import_complaints(
                self.cases,
                path,
                by=by,
                batch_size=batch_size,
                progress=progress,
                reject=rejects,
                elsewhere=None if projector is None else projector.reference_lookup(),
            )
        if self.cases.read_models is not None:
            self.cases.read_models.after_write()
        return Imported(result, reject_file if result.rejected else None)
