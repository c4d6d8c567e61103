"""`casereview complaint`: record, correct or import complaints made to the relevant bodies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from casereview.cli_support import (
    DATE,
    Config,
    emit,
    json_option,
    pass_config,
    say,
    written,
)


@click.group()
def complaint() -> None:
    """Record or correct complaints made to the relevant bodies."""


@complaint.command("add")
@click.argument("ref")
@click.option("--agency", required=True, help="The relevant body complained to.")
@click.option("--incident-on", required=True, type=DATE, help="Date of the behaviour.")
@click.option("--reported-on", required=True, type=DATE, help="Date it was reported.")
@click.option("--agency-ref", help="The agency's own reference.")
@click.option("--incident", help="Key grouping reports of the same incident.")
@click.option("--complainant", help="Who complained (default: the applicant).")
@click.option("--hate", is_flag=True, help="Reported as hate-motivated.")
@click.option("--summary")
@json_option
@pass_config
def complaint_add(
    cfg: Config,
    ref: str,
    agency: str,
    incident_on: date,
    reported_on: date,
    agency_ref: str | None,
    incident: str | None,
    complainant: str | None,
    hate: bool,
    summary: str | None,
    as_json: bool,
) -> None:
    """Record a complaint and print its id.

    \b
    Example:
        casereview complaint add GOSPORT-2026-0001 --agency "Hampshire Police" \\
            --incident-on 2026-02-01 --reported-on 2026-02-02 --agency-ref 44120
    """
    complaint_id = cfg.services.cases.add_complaint(
        ref,
        agency=agency,
        incident_on=incident_on,
        reported_on=reported_on,
        complainant=complainant,
        agency_ref=agency_ref,
        incident=incident,
        hate=hate,
        summary=summary,
        by=cfg.user,
    )
    written(as_json, complaint_id, {"ref": ref.upper(), "id": complaint_id})


@complaint.command("correct")
@click.argument("ref")
@click.argument("complaint_id")
@click.option("--incident-on", type=DATE)
@click.option("--reported-on", type=DATE)
@click.option("--agency")
@click.option("--agency-ref")
@click.option("--reason", required=True, help="Why the record was wrong.")
@json_option
@pass_config
def complaint_correct(
    cfg: Config,
    ref: str,
    complaint_id: str,
    incident_on: date | None,
    reported_on: date | None,
    agency: str | None,
    agency_ref: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """Correct a recorded complaint; the original stays in the log.

    \b
    Example:
        casereview complaint correct GOSPORT-2026-0001 C2 --reported-on 2026-02-03 --reason "Typo"
    """
    changes = {
        "incident_on": incident_on,
        "reported_on": reported_on,
        "agency": agency,
        "agency_ref": agency_ref,
    }
    corrected = cfg.services.cases.correct_complaint(
        ref, complaint_id, changes, reason, by=cfg.user
    )
    written(
        as_json,
        f"{ref.upper()} {complaint_id.upper()}: corrected",
        {"ref": ref.upper(), "id": complaint_id.upper(), "corrected": corrected},
    )


@complaint.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--reject-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write bad rows here with their line number and reason (default: FILE.rejects.csv).",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 50_000), default=5000, show_default=True
)
@json_option
@pass_config
def complaint_import(
    cfg: Config, path: Path, reject_file: Path | None, batch_size: int, as_json: bool
) -> None:
    """Import complaints from an agency export (CSV); exit 2 if any row was rejected.

    Columns: case_ref,agency,agency_ref,incident_on,reported_on,hate,summary.
    (agency, agency_ref) identifies a complaint: importing a file again records nothing new.

    \b
    Example:
        casereview complaint import police-export.csv --reject-file rejects.csv
    """
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, disable=not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task("rows", total=None)
        result = cfg.services.imports.complaints(
            path,
            reject_file=reject_file,
            batch_size=batch_size,
            by=cfg.user,
            total=lambda n: bar.update(task, total=n),
            progress=lambda n: bar.advance(task, n),
            count_rows=sys.stderr.isatty(),
        )
    if as_json:
        emit(result.to_json())
    else:
        say(
            f"{result.recorded} recorded, {result.already} already recorded, "
            f"{result.rejected} rejected"
            + (f" (see {result.reject_file})" if result.rejected else "")
        )
    if result.rejected:
        say(
            f"Error: {result.rejected} row(s) rejected; see {result.reject_file}",
            err=True,
        )
        raise click.exceptions.Exit(2)
