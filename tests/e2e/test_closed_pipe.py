"""A reader that stops reading (`casereview case show REF | head -1`) ends the command
quietly: nothing on stderr, the exit status of a process whose pipe was closed (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from casereview.cli import cli

CLOSED_PIPE = 141  # 128 + SIGPIPE, as the shell reports `yes | head -1`


def casereview(db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "casereview", "--db", db_url, "--user", "p", *args]


ENV = {**os.environ, "CASEREVIEW_DB": ""}


@pytest.fixture
def ref(db_url: str) -> str:
    done = subprocess.run(
        casereview(
            db_url,
            "application",
            "receive",
            "--area",
            "gosport",
            "--received-on",
            "2026-03-02",
            "--applicant",
            "Pipe Person",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    "args",
    [["case", "show"], ["case", "history", "--json"]],
    ids=["show", "history-json"],
)
def test_a_reader_that_went_away_ends_the_command_quietly(db_url, ref, args):
    command = casereview(db_url, *args[:2], ref, *args[2:])
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written

    err = proc.stderr.read()
    code = proc.wait(timeout=120)

    assert err == b""
    assert code == CLOSED_PIPE


def into_head(db_url: str, ref: str) -> subprocess.CompletedProcess[str]:
    """`casereview case show REF | head -1` in a shell; the status is casereview's own
    (bash's PIPESTATUS), not head's."""
    shell = " ".join(f"'{part}'" for part in casereview(db_url, "case", "show", ref))
    return subprocess.run(
        ["bash", "-c", f'{shell} | head -1; exit "${{PIPESTATUS[0]}}"'],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )


def test_case_show_into_head_prints_one_line_and_nothing_on_stderr(db_url, ref):
    done = into_head(db_url, ref)

    # All of a short case may be written before head goes away (0), or not (141).
    assert done.returncode in (0, CLOSED_PIPE)
    assert done.stdout.startswith(ref)
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_case_show_into_head_ends_with_the_closed_pipe_status_when_the_case_is_long(
    db_url, ref, tmp_path
):
    """Thousands of complaints: far more than a pipe holds, so head goes away while
    casereview is still writing."""
    export = tmp_path / "export.csv"
    export.write_text(
        "case_ref,agency,agency_ref,incident_on,reported_on,hate,summary\n"
        + "".join(
            f"{ref},Hampshire Police,LONG-{n},2026-02-01,2026-02-02,false,\n"
            for n in range(3000)
        ),
        encoding="utf-8",
    )
    subprocess.run(
        casereview(db_url, "complaint", "import", str(export)),
        capture_output=True,
        timeout=300,
        env=ENV,
        check=True,
    )

    done = into_head(db_url, ref)

    assert done.returncode == CLOSED_PIPE
    assert done.stdout.startswith(ref)
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_a_closed_pipe_is_not_reported_as_an_unexpected_failure(monkeypatch):
    """Under CliRunner too: the group lets a closed pipe through as its own exit status."""
    import click

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(click, "echo", broken)

    result = CliRunner().invoke(cli, ["calendar", "due", "2026-01-05", "1 working day"])

    assert result.exit_code == CLOSED_PIPE
    assert "unexpected failure" not in result.output
