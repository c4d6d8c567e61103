"""The CLI as real processes: the console script, and eight writers on one case at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from casereview.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def casereview(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casereview", "--db", db_url, "--user", "proc", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CASEREVIEW_DB": ""},
    )


def test_a_real_process_prints_the_reference_alone_when_receiving(db_url):
    done = casereview(
        db_url,
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-02",
        "--applicant",
        "Proc Person",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "GOSPORT-2026-0001\n"


def test_eight_processes_adding_complaints_at_once_never_lose_or_duplicate_one(db_url):
    ref = casereview(
        db_url,
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-02",
        "--applicant",
        "P",
    ).stdout.strip()

    def add(n: int) -> subprocess.CompletedProcess[str]:
        return casereview(
            db_url,
            "complaint",
            "add",
            ref,
            "--agency",
            "Police",
            "--agency-ref",
            f"INC-{n}",
            "--incident-on",
            "2026-02-01",
            "--reported-on",
            "2026-02-02",
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(add, range(8)))
    shown = json.loads(casereview(db_url, "case", "show", ref, "--json").stdout)

    codes = [r.returncode for r in results]
    assert set(codes) <= {0, 5}, [r.stderr for r in results]
    succeeded = sorted(f"INC-{n}" for n, r in enumerate(results) if r.returncode == 0)
    recorded = sorted(c["agency_ref"] for c in shown["complaints"])
    assert recorded == succeeded
    assert sorted(c["id"] for c in shown["complaints"]) == sorted(
        f"C{i + 1}" for i in range(len(recorded))
    )
    assert shown["version"] == 1 + len(recorded)
    for r in results:
        if r.returncode == 5:
            assert "nothing was written" in r.stderr


def all_commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
        else:
            found.append((path, command))
    return found


@pytest.mark.parametrize(
    ("path", "command"),
    all_commands(cli),
    ids=lambda p: " ".join(p) if isinstance(p, tuple) else "",
)
def test_every_command_has_help_with_an_example_and_is_in_the_readme(path, command):
    readme = README.read_text(encoding="utf-8")

    assert command.help and "Example:" in command.help
    assert f"casereview {path[0]}" in readme
    assert path[-1] in readme
