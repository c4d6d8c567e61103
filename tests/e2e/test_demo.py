"""`casereview demo` touches nothing but a store and an outbox of its own (issues 11 and 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from casereview.cli import cli
from tests.smtp_server import free_port

DEMO_CASES = 12


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of the test's own, with no store or SMTP server configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASEREVIEW_DB", raising=False)
    monkeypatch.delenv("CASEREVIEW_SMTP_URL", raising=False)
    return tmp_path


def casereview(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--user", "tester", *args])


def case_count(db_url: str) -> int:
    result = casereview("--db", db_url, "case", "list", "--json")
    assert result.exit_code == 0, result.output
    return len(json.loads(result.stdout)["cases"])


def test_demo_leaves_the_default_outbox_and_store_alone_when_run_beside_them(
    workdir: Path,
):
    ref = casereview(
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-02",
        "--applicant",
        "Real Person",
        "--email",
        "real@example.org",
    ).stdout.strip()
    assert (
        casereview("application", "acknowledge", ref, "--on", "2026-03-03").exit_code
        == 0
    )
    assert casereview("notifications", "send").exit_code == 0
    (real_letter,) = (workdir / "outbox").iterdir()
    sent = real_letter.read_bytes()

    result = casereview("demo")

    assert result.exit_code == 0, result.output
    assert [p.name for p in (workdir / "outbox").iterdir()] == [real_letter.name]
    assert real_letter.read_bytes() == sent
    assert case_count("sqlite:///casereview.db") == 1
    own = workdir / "casereview-demo"
    assert len(list((own / "outbox").glob("*.eml"))) > DEMO_CASES
    assert case_count(f"sqlite:///{own / 'demo.db'}") == DEMO_CASES
    assert f"{DEMO_CASES} cases" in result.stdout


def test_demo_runs_again_on_a_store_of_its_own_rebuilt_each_time(workdir: Path):
    first = casereview("demo")
    second = casereview("demo")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert first.stdout.splitlines()[-1] == second.stdout.splitlines()[-1]
    assert "GOSPORT-2026-0001" in second.stdout.splitlines()[-1]
    assert case_count("sqlite:///casereview-demo/demo.db") == DEMO_CASES
    assert not (workdir / "outbox").exists()
    assert not (workdir / "casereview.db").exists()


def test_demo_refuses_a_folder_of_its_name_that_it_did_not_make(workdir: Path):
    theirs = workdir / "casereview-demo"
    (theirs / "outbox").mkdir(parents=True)
    (theirs / "outbox" / "keep.eml").write_text("mine")
    (theirs / "demo.db").write_text("not the demo's")

    result = casereview("demo")

    assert result.exit_code == 3, result.output
    assert "casereview-demo" in result.stderr and "another folder" in result.stderr
    assert (theirs / "outbox" / "keep.eml").read_text() == "mine"
    assert (theirs / "demo.db").read_text() == "not the demo's"


def test_demo_never_emails_anyone_when_an_smtp_server_is_configured(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CASEREVIEW_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")

    result = casereview("demo")

    assert result.exit_code == 0, result.output
    assert len(list((workdir / "casereview-demo" / "outbox").glob("*.eml"))) > 0
    assert "smtp" not in result.stdout.lower().replace("casereview_smtp_url", "")


def test_demo_refuses_a_store_that_holds_cases_it_did_not_record(
    workdir: Path, db_url: str
):
    real = casereview(
        "--db",
        db_url,
        "application",
        "receive",
        "--area",
        "gosport",
        "--received-on",
        "2026-03-02",
        "--applicant",
        "Real Person",
    )
    assert real.exit_code == 0, real.output

    result = casereview("demo", "--db", db_url)

    assert result.exit_code == 3, result.output
    assert "GOSPORT-2026-0001" in result.stderr
    assert "not the demo's" in result.stderr
    assert result.stderr.count("\n") == 1
    assert case_count(db_url) == 1
    assert not (workdir / "outbox").exists()
    assert not (workdir / "casereview-demo").exists()


def test_demo_fills_an_empty_store_given_with_db_and_runs_again_on_it(
    workdir: Path, db_url: str
):
    first = casereview("demo", "--db", db_url)
    again = casereview("demo", "--db", db_url)

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert case_count(db_url) == 2 * DEMO_CASES
    assert not (workdir / "outbox").exists()
    assert len(list((workdir / "casereview-demo" / "outbox").glob("*.eml"))) > 0


def test_demo_prints_no_password_of_the_store_it_was_given():
    from casereview.demo import shown_url

    assert shown_url("postgresql://app:S3cretPW@db.example/asb") == (
        "postgresql://app:***@db.example/asb"
    )


def test_demo_report_into_a_missing_folder_is_bad_input_naming_the_path(workdir: Path):
    result = casereview("demo", "--report", "no/such/folder/demo.html")

    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: --report: cannot write no/such/folder/demo.html: "
        "No such file or directory\n"
    )
