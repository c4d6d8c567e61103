"""`casereview appeal`: appeals (queries) to the area's appeal body."""

from __future__ import annotations

from datetime import date

import click

from casereview.cli_support import DATE, Config, json_option, pass_config, written


@click.group()
def appeal() -> None:
    """Appeals (queries) to the area's appeal body, usually the PCC office."""


@appeal.command("lodge")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--grounds", required=True)
@json_option
@pass_config
def appeal_lodge(cfg: Config, ref: str, on: date, grounds: str, as_json: bool) -> None:
    """Record an appeal; a late one is recorded as late, never refused.

    \b
    Example:
        casereview appeal lodge GOSPORT-2026-0001 --on 2026-04-02 --grounds "Panel did not hear from housing"
    """
    in_time = cfg.services.cases.lodge_appeal(ref, on, grounds, by=cfg.user)
    timing = {
        True: "in time",
        False: "LATE: for the appeal body to accept or decline",
        None: "no appeal window in the procedure",
    }[in_time]
    written(
        as_json,
        f"{ref.upper()}: appeal lodged on {on} ({timing})",
        {"ref": ref.upper(), "lodged_on": on.isoformat(), "in_time": in_time},
    )


@appeal.command("decide")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--upheld/--not-upheld", required=True, default=None)
@click.option("--reasons", required=True)
@click.option(
    "--reopens-at",
    type=click.Choice(["threshold", "review"]),
    help="Where an upheld appeal reopens the case (default: the step appealed).",
)
@click.option(
    "--by", "decided_by", help="Who decided (default: the procedure's appeal body)."
)
@json_option
@pass_config
def appeal_decide(
    cfg: Config,
    ref: str,
    on: date,
    upheld: bool,
    reasons: str,
    reopens_at: str | None,
    decided_by: str | None,
    as_json: bool,
) -> None:
    """Record the appeal body's decision; an upheld appeal reopens the case.

    \b
    Example:
        casereview appeal decide GOSPORT-2026-0001 --on 2026-04-20 --upheld --reasons "Housing not consulted"
    """
    reopened = cfg.services.cases.decide_appeal(
        ref,
        on,
        upheld=upheld,
        reasons=reasons,
        reopens_at=reopens_at,
        decided_by=decided_by,
        by=cfg.user,
    )
    text = f"{ref.upper()}: appeal {'upheld' if upheld else 'not upheld'} on {on}"
    if reopened:
        text += f"; reopened at the {reopened}"
    written(
        as_json,
        text,
        {"ref": ref.upper(), "upheld": upheld, "reopens_at": reopened},
    )
