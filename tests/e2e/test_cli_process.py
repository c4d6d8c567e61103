"""The CLI as real processes: the console script, and eight writers on one case at once."""

from __future__ import annotations

import inspect
import json
import os
import re
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


GLOBAL_OPTIONS = {"--db": 1, "--user": 1, "--policies": 1, "--debug": 0}
"""The root's options an example may give before the command, and how many values each
takes."""


def readme_table() -> dict[str, set[str]]:
    """The README's "Commands" table: for each command or group it names, the verbs of its
    row (`casereview case close / show / history` gives case: {close, show, history};
    `casereview stats [--year ...]` gives stats: set())."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for cell in re.findall(r"^\| `casereview ([^`]+)` \|", section, re.MULTILINE):
        name, _, rest = cell.partition(" ")
        verbs = table.setdefault(name, set())
        for part in rest.split(" / "):
            word = part.split()[0] if part.split() else ""
            if re.fullmatch(r"[a-z][a-z-]*", word):
                verbs.add(word)
    return table


def example_commands(help_text: str) -> list[tuple[str, ...]]:
    """The commands the help's `Example:` block runs, each as its words after `casereview`
    and the root's options."""
    lines = inspect.cleandoc(help_text).split("\b\nExample:\n", 1)
    found = []
    for line in lines[1].splitlines() if len(lines) == 2 else []:
        # `casereview ...`, `VAR=x casereview ...` or `REF=$(casereview ...)`
        start = re.search(r"(?:^|[\s(])casereview\s", line)
        if start is None:
            continue
        words = line[start.end() :].replace(")", " ").split()
        while words and words[0] in GLOBAL_OPTIONS:
            words = words[1 + GLOBAL_OPTIONS[words[0]] :]
        found.append(tuple(words))
    return found


@pytest.mark.parametrize(
    ("path", "command"),
    [(("casereview",), cli), *all_commands(cli)],
    ids=lambda p: " ".join(p) if isinstance(p, tuple) else "",
)
def test_every_command_has_help_ending_in_an_example_of_itself(path, command):
    runs = example_commands(command.help or "")

    assert (command.help or "").strip(), f"{' '.join(path)} has no help"
    assert runs, f"{' '.join(path)}: its help has no \\b Example: block running it"
    if path != ("casereview",):
        assert any(words[: len(path)] == path for words in runs), (path, runs)


@pytest.mark.parametrize("path", [path for path, _ in all_commands(cli)], ids=" ".join)
def test_every_command_has_a_row_in_the_readme_commands_table(path):
    table = readme_table()

    assert path[0] in table, f"no row for `casereview {path[0]}` in README's Commands"
    if len(path) > 1:
        assert path[1] in table[path[0]], (
            f"`casereview {' '.join(path)}` is missing from its row in README's Commands"
        )


def test_the_readme_commands_table_names_only_commands_that_exist():
    commands = {path for path, _ in all_commands(cli)}

    named = {
        (name, *([verb] if verb else []))
        for name, verbs in readme_table().items()
        for verb in (verbs or {""})
    }

    assert named - commands == set()
    assert len(named) >= 30
