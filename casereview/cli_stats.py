"""`casereview stats`: the published s.104 figures and what scrutiny panels ask next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from casereview.cli_support import Config, emit, pass_config, say


@click.command("stats")
@click.option("--area", help="One area (its slug, e.g. gosport); default: all areas.")
@click.option(
    "--year",
    required=True,
    type=int,
    help="The year: YYYY means the financial year 1 April YYYY to 31 March YYYY+1.",
)
@click.option(
    "--calendar-year",
    is_flag=True,
    help="Count the calendar year (1 January to 31 December) instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--csv", "as_csv", is_flag=True, help="Print the open-data CSV (one row per area)."
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a self-contained HTML report to FILE.",
)
@pass_config
def stats(
    cfg: Config,
    area: str | None,
    year: int,
    calendar_year: bool,
    as_json: bool,
    as_csv: bool,
    html_file: Path | None,
) -> None:
    """The four s.104 figures for an area and year, with timeliness and outcomes.

    Applications are counted by the date they were received; --year 2025 means the financial
    year 2025/26 (1 April 2025 to 31 March 2026) unless --calendar-year is given.

    \b
    Example:
        casereview stats --area gosport --year 2025
        casereview stats --year 2025 --json
        casereview stats --year 2025 --csv > asb-case-reviews-2025-26.csv
        casereview stats --area gosport --year 2025 --html gosport-2025-26.html
    """
    chosen = [
        name
        for name, on in (
            ("--json", as_json),
            ("--csv", as_csv),
            ("--html", html_file is not None),
        )
        if on
    ]
    if len(chosen) > 1:
        raise click.UsageError(
            f"give one of --json, --csv and --html, not {' and '.join(chosen)}"
        )
    if html_file is not None:
        _check_folder(html_file)
    statistics = cfg.services.statistics
    result = statistics.figures(area=area, year=year, calendar_year=calendar_year)
    if as_json:
        emit(result.to_json())
    elif as_csv:
        click.echo(result.to_csv(), nl=False)
    elif html_file is not None:
        page = statistics.html(result)
        try:
            html_file.write_text(page, encoding="utf-8")
        except OSError as exc:
            from casereview.errors import FieldError

            raise FieldError(
                "html", f"cannot write {html_file}: {exc.strerror or exc}"
            ) from None
        say(f"report written to {html_file}", err=True)
    else:
        say(as_text(result))


def _check_folder(path: Path) -> None:
    """Refuse a report into a folder that does not exist before counting anything."""
    folder = path.parent
    if not folder.is_dir():
        from casereview.errors import FieldError

        raise FieldError(
            "html",
            f"cannot write {path}: no such folder {folder} "
            "(create it first, or name a file in an existing folder)",
        )


def as_text(result: Any) -> str:
    f = result.total
    p = result.period
    lines = [
        f"ASB Case Review statistics: {result.area or 'all areas'}, "
        f"{p.basis} year {p.label} ({p.start} to {p.end}), by date of receipt",
        "",
        "Statutory figures (ABCPA 2014 s.104)",
        f"  {'applications':<34}{f.applications:>6}   (withdrawn: {f.withdrawn})",
        f"  {'threshold not met':<34}{f.threshold_not_met:>6}",
        f"  {'reviews carried out':<34}{f.reviews_carried_out:>6}",
        f"  {'reviews with recommendations':<34}{f.reviews_with_recommendations:>6}",
        "",
        "Timeliness (calendar days from receipt)",
        f"  {'':<34}{'cases':>6}{'median':>8}{'p90':>6}",
    ]
    for name, s in (
        ("to decision", f.days_to_decision),
        ("to outcome", f.days_to_outcome),
    ):
        median = "-" if s.median is None else f"{s.median:g}"
        p90 = "-" if s.p90 is None else str(s.p90)
        lines.append(f"  {name:<34}{s.count:>6}{median:>8}{p90:>6}")
    if f.timescales:
        lines.append("")
        lines.append(
            f"  {'timescale':<18}{'met':>8}{'breached':>10}{'open':>7}{'cancelled':>11}"
        )
        for kind, states in f.timescales.items():
            lines.append(
                f"  {kind:<18}{states['met']:>8}{states['breached']:>10}"
                f"{states['open']:>7}{states['cancelled']:>11}"
            )
    lines += [
        "",
        "Outcomes",
        f"  {'threshold met':<34}{f.threshold_met:>6}",
        f"  {'awaiting a decision':<34}{f.awaiting_decision:>6}",
        f"  {'appeals lodged':<34}{f.appeals_lodged:>6}",
        f"  {'appeals upheld':<34}{f.appeals_upheld:>6}",
        f"  {'recommendations made':<34}{f.recommendations_made:>6}",
        f"  {'recommendations past due, open':<34}{f.open_recommendations_past_due:>6}",
        "",
        _listing("met by route", f.by_route),
        _listing("applicants", f.by_applicant_kind),
        _listing("complaints by agency", f.by_agency),
    ]
    if result.area is None and len(result.areas) > 1:
        lines += [
            "",
            f"  {'area':<24}{'apps':>6}{'not met':>9}{'reviews':>9}{'w/ recs':>9}",
        ]
        for name, a in result.areas.items():
            lines.append(
                f"  {name:<24}{a.applications:>6}{a.threshold_not_met:>9}"
                f"{a.reviews_carried_out:>9}{a.reviews_with_recommendations:>9}"
            )
    return "\n".join(lines)


def _listing(label: str, counts: dict[str, int]) -> str:
    shown = [f"{k} {v}" for k, v in counts.items() if v]
    return f"  {label}: {', '.join(shown) if shown else 'none'}"
