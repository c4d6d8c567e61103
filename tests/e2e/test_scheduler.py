"""The scheduler as real processes against a real SMTP server: killed and restarted, and a
second one started beside it, every breach is recorded once and every email arrives once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest

from casereview.adapters.store import parse_store_url
from casereview.projections.runner import Projector
from casereview.services.followup import case_deadlines
from tests.smtp_server import Server


def start_scheduler(db_url: str, smtp_url: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CASEREVIEW_SMTP_URL": smtp_url,
        "CASEREVIEW_USER": "scheduler",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "casereview",
            "--db",
            db_url,
            "scheduler",
            "run",
            "--interval",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.2)


def overdue_cases(service, first_day: int, n: int) -> list[str]:
    """Applications from January never decided: their deadlines are long breached; every
    other one was acknowledged late, which also queues an acknowledgement letter."""
    refs = []
    for i in range(n):
        ref = service.receive(
            area="gosport",
            received_on=date(2026, 1, first_day + i),
            applicant_name=f"Applicant {i}",
            email=f"a{first_day + i}@example.invalid",
            by="t",
        )
        if i % 2:
            service.acknowledge(ref, date(2026, 1, 20), by="t")
        refs.append(ref)
    return refs


def wait_for_line(
    process: subprocess.Popen[str], text: str, timeout: float = 60
) -> None:
    end = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < end:
        line = process.stderr.readline()
        if text in line:
            return
    raise AssertionError(f"no line with {text!r}")


@pytest.fixture
def spawn():
    """Starts schedulers; any still running when the test ends is killed, pass or fail."""
    started: list[subprocess.Popen[str]] = []

    def start(db_url: str, smtp_url: str) -> subprocess.Popen[str]:
        process = start_scheduler(db_url, smtp_url)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_each_breach_and_each_email_happen_once_when_schedulers_are_killed_and_doubled(
    service, db_url, spawn
):
    refs = overdue_cases(service, 5, 4)
    server = Server()
    server.start()
    try:
        first = spawn(db_url, server.url)
        # Killed between ticks, after its first tick has recorded and sent everything. (A kill
        # in the instant between the mail server accepting a letter and the LetterSent event
        # being saved is the one case SMTP cannot make exactly-once: that letter's claim
        # expires after STALE_CLAIM and it is sent again; see notifications/outbox.py.)
        wait_for_line(first, "letter(s) sent")
        first.send_signal(signal.SIGKILL)
        first.wait()
        sent_by_first = len(server.handler.messages)
        refs += overdue_cases(
            service, 15, 4
        )  # new work arrives while no scheduler runs

        second = spawn(db_url, server.url)
        wait_for_line(second, "holding the scheduler lock")
        third = spawn(db_url, server.url)  # beside a running one: it waits
        wait_for_line(third, "waiting for it to stop")
        projector = Projector(service.app, parse_store_url(db_url))
        try:

            def all_sent() -> bool:
                projector.catch_up()
                rows = projector.letter_rows()
                return len(rows) > sent_by_first and all(
                    r["state"] == "sent" for r in rows
                )

            wait_for(all_sent)
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
            wait_for_line(third, "holding the scheduler lock")
            wait_for_line(
                third, "letter(s) sent"
            )  # a full tick with nothing left to do
            third.send_signal(signal.SIGTERM)
            third.wait(timeout=30)
            projector.catch_up()
            letters = projector.letter_rows()
        finally:
            projector.close()
    finally:
        server.stop()

    assert sent_by_first > 0
    ids = server.handler.message_ids()
    assert len(ids) == len(letters) and set(ids.values()) == {1}
    open_overdue = 0
    for ref in refs:
        case = service.app.get_case(ref)
        for deadline in case_deadlines(service.app, case, service.procedure_for(case)):
            kinds = [type(e).__name__ for e in service.app.events.get(deadline.id)]
            if (
                deadline.is_open
            ):  # never acknowledged, or acknowledged and never decided
                open_overdue += 1
                assert kinds.count("DeadlineBreached") == 1, (ref, deadline.kind, kinds)
            else:
                assert "DeadlineBreached" not in kinds
    assert open_overdue == len(refs)
    assert sum(1 for r in letters if r["template"] == "deadline_breach") >= len(refs)
