"""What a service has to tell the person beside its result: warnings, and progress on long work.

A service never prints. It says things here; each entry point decides how they reach the person
(the CLI on stderr, the web console as a banner, the scheduler in its log).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Progress = Callable[[int, int], None]
"""Called with (done, total) as long work goes on."""


def _ignore(text: str) -> None:
    del text


@dataclass
class Notices:
    """Where warnings go (`warn`), and the progress callback long work reports to."""

    warn: Callable[[str], None] = _ignore
    progress: Progress | None = None
    said: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        """Warn once per text (a warning repeated by every step of one command helps nobody)."""
        if text in self.said:
            return
        self.said.append(text)
        self.warn(text)
