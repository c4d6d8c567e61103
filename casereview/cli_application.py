"""`casereview application`: receive, acknowledge or withdraw an application."""

from __future__ import annotations

from datetime import date

import click

from casereview.cli_support import DATE, Config, json_option, pass_config, written


@click.group()
def application() -> None:
    """Receive, acknowledge or withdraw an application for a case review."""


@application.command("receive")
@click.option(
    "--area", required=True, help="Area slug, as in `casereview policy list`."
)
@click.option(
    "--received-on", required=True, type=DATE, help="Date the application arrived."
)
@click.option("--applicant", required=True, help="Applicant's name.")
@click.option(
    "--kind",
    type=click.Choice(["victim", "on-behalf", "community", "business"]),
    default="victim",
    show_default=True,
)
@click.option(
    "--on-behalf-of", help="The victim's name, when applying for someone else."
)
@click.option(
    "--consent-on", type=DATE, help="Date the victim consented (with --on-behalf-of)."
)
@click.option("--email")
@click.option("--address")
@click.option("--hate", is_flag=True, help="The behaviour is hate-motivated.")
@click.option(
    "--vulnerable",
    is_flag=True,
    help="The victim is vulnerable or at risk of high harm.",
)
@click.option("--summary", help="What the applicant describes.")
@click.option(
    "--channel",
    default="not recorded",
    help="How it arrived: online, phone, letter, in person.",
)
@json_option
@pass_config
def application_receive(
    cfg: Config,
    area: str,
    received_on: date,
    applicant: str,
    kind: str,
    on_behalf_of: str | None,
    consent_on: date | None,
    email: str | None,
    address: str | None,
    hate: bool,
    vulnerable: bool,
    summary: str | None,
    channel: str,
    as_json: bool,
) -> None:
    """Record a new application and print its case reference.

    \b
    Example:
        REF=$(casereview application receive --area gosport --received-on 2026-03-02 --applicant "Sam Jones")
    """
    ref = cfg.services.cases.receive(
        area=area,
        received_on=received_on,
        applicant_name=applicant,
        kind=kind,
        on_behalf_of=on_behalf_of,
        consent_on=consent_on,
        email=email,
        address=address,
        hate=hate,
        vulnerable=vulnerable,
        summary=summary,
        channel=channel,
        by=cfg.user,
    )
    written(as_json, ref, {"ref": ref})


@application.command("acknowledge")
@click.argument("ref")
@click.option("--on", "on", type=DATE, help="Date acknowledged (default: today).")
@json_option
@pass_config
def application_acknowledge(
    cfg: Config, ref: str, on: date | None, as_json: bool
) -> None:
    """Record that the applicant was told their application arrived.

    \b
    Example:
        casereview application acknowledge GOSPORT-2026-0001 --on 2026-03-03
    """
    on = cfg.services.cases.acknowledge(ref, on, by=cfg.user)
    written(
        as_json,
        f"{ref.upper()}: acknowledged on {on}",
        {"ref": ref.upper(), "acknowledged_on": on.isoformat()},
    )


@application.command("withdraw")
@click.argument("ref")
@click.option("--on", "on", required=True, type=DATE)
@click.option("--reason", required=True)
@json_option
@pass_config
def application_withdraw(
    cfg: Config, ref: str, on: date, reason: str, as_json: bool
) -> None:
    """Record that the applicant withdrew; open deadlines end with it.

    \b
    Example:
        casereview application withdraw GOSPORT-2026-0001 --on 2026-03-10 --reason "Moved away"
    """
    cfg.services.cases.withdraw(ref, on, reason, by=cfg.user)
    written(
        as_json,
        f"{ref.upper()}: withdrawn on {on}",
        {"ref": ref.upper(), "withdrawn_on": on.isoformat()},
    )
