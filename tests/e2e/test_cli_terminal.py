"""Human output is safe on a terminal (issue 11, item 9): names stored by an older version,
which checked no characters, cannot retitle the window or rewrite the screen."""

from __future__ import annotations

import json
from datetime import date

from casereview.adapters.policy_files import SHIPPED_POLICIES
from casereview.bootstrap import build_service, parse_store_url
from casereview.cli_support import printable

HOSTILE = "Eve\x1b]0;pwned\x07 \x1b[2J\u202eevil\x9b"


def receive_unchecked(db_url: str) -> str:
    """Straight to the application, past the service's checks, as an older version did."""
    service = build_service(parse_store_url(db_url), SHIPPED_POLICIES)
    try:
        return service.app.receive_application(
            area="gosport",
            received_on=date(2026, 3, 2),
            applicant_name=HOSTILE,
            by=HOSTILE,
        )
    finally:
        service.app.close()


def test_case_show_and_history_strip_terminal_controls_when_names_hold_them(
    run, db_url
):
    ref = receive_unchecked(db_url)

    shown = run("case", "show", ref).stdout
    history = run("case", "history", ref).stdout
    as_json = json.loads(run("case", "show", ref, "--json").stdout)

    for text in (shown, history):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "\u202e" not in text
    assert "Eve\ufffd]0;pwned\ufffd" in shown
    assert as_json["applicant"]["name"] == HOSTILE  # the record itself is untouched


def test_printable_keeps_newlines_tabs_and_every_other_letter():
    text = "Siân Ó Dúnlaing\tline\nnext — 日本"

    assert printable(text) == text
