"""A real SMTP server for tests: aiosmtpd in-process on 127.0.0.1, restartable on its port."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller

REFUSED = "nobody@example.invalid"
# Refused with a reply that repeats the address, as Postfix and Exchange do.
ECHOED = "gone.away@example.invalid"


class Collector:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == REFUSED:
            return "550 5.1.1 No such user here"
        if address == ECHOED:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        return "250 Message accepted for delivery"

    def parsed(self):
        return [
            BytesParser(policy=policy.default).parsebytes(content)
            for _, _, content in self.messages
        ]

    def message_ids(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]).strip() for m in self.parsed())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A restartable SMTP server on a fixed local port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Collector()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
