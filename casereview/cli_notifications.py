"""`casereview notifications`: send the queued letters now."""

from __future__ import annotations

import click

from casereview.cli_support import Config, emit, json_option, pass_config, say


@click.group()
def notifications() -> None:
    """Letters and emails: flush the outbox."""


@notifications.command("send")
@json_option
@pass_config
def notifications_send(cfg: Config, as_json: bool) -> None:
    """Send every queued letter now (SMTP from CASEREVIEW_SMTP_URL, else .eml files).

    With the mail server down it exits 6 and every letter stays queued for a retry.

    \b
    Example:
        CASEREVIEW_SMTP_URL=smtp://mail.example.org:25 casereview notifications send --json
    """
    from casereview.errors import ServiceUnavailable

    result = cfg.services.letters.send(by=cfg.user)
    if as_json:
        emit(result.to_json())
    else:
        say(
            f"{len(result.sent)} sent, {len(result.failed)} failed, {result.remaining} queued"
        )
    if result.unavailable:
        raise ServiceUnavailable(
            f"mail server unavailable: {result.unavailable}; {result.remaining} letter(s) stay queued"
        )
