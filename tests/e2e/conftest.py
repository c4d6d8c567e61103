from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from casereview.cli import cli


@pytest.fixture
def run(db_url: str) -> Callable[..., Result]:
    """Run the CLI on the test store; `ok=True` asserts exit 0."""
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True, user: str = "tester") -> Result:
        result = runner.invoke(cli, ["--db", db_url, "--user", user, *args])
        if ok:
            assert result.exit_code == 0, (args, result.output, result.stderr)
        return result

    return invoke


@pytest.fixture
def run_json(run: Callable[..., Result]) -> Callable[..., object]:
    def invoke(*args: str) -> object:
        return json.loads(run(*args, "--json").stdout)

    return invoke
