"""Where letters go: an SMTP server (the standard library's smtplib), or a folder of .eml files.

`sender_from_env` picks one: `CASEREVIEW_SMTP_URL` when set, otherwise a folder, so the demo
works with nothing installed. Failures are sorted by what the outbox should do next:
`ServiceUnavailable` when the server cannot be reached or refuses us (stop the batch: every
other letter would fail the same way), `DeliveryRefused` when the server refuses this one
message (record it against the letter and go on with the rest).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from casereview.adapters.redaction import redact_url
from casereview.errors import InvalidInput, ServiceUnavailable

SMTP_URL_ENV = "CASEREVIEW_SMTP_URL"
LETTER_HEADER = "X-Casereview-Letter"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}
TIMEOUT_SECONDS = 30.0


class DeliveryRefused(InvalidInput):
    """The mail server refused this message (an address it rejects, a message too large)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    """Delivers one message; `via` names where to, without any password."""

    @property
    def via(self) -> str: ...

    def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    """Sends each message over its own connection to `smtp[s]://[user:pw@]host:port`."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        try:
            parts = urlsplit(url)
        except ValueError:  # an unmatched bracket: "Invalid IPv6 URL"
            parts = urlsplit("")
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise InvalidInput(
                f"{SMTP_URL_ENV}: {_redacted(url)!r} is not an SMTP URL (expected "
                "smtp://[user:password@]host:port, smtps://... or smtp+starttls://...)"
            )
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise InvalidInput(
                f"{SMTP_URL_ENV}: {_redacted(url)!r} has a port that is not a number"
            ) from None
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, port
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.timeout = timeout

    @property
    def via(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.scheme == "smtp+starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                _reply(code, reply) for code, reply in exc.recipients.values()
            )
            raise DeliveryRefused(
                f"{self.via} refused the recipient ({detail})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ServiceUnavailable(
                f"mail server {self.via} refused the login for {self.user!r} "
                f"({exc.smtp_code} {_text(exc.smtp_error)}); check {SMTP_URL_ENV}; "
                "the letters stay queued"
            ) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise DeliveryRefused(
                f"{self.via} refused the message ({_reply(exc.smtp_code, exc.smtp_error)})",
                permanent=exc.smtp_code >= 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, timed out, dropped, TLS failed, HELO refused: the server
            # cannot take any letter now, so the outbox stops and tries again later.
            raise ServiceUnavailable(
                f"mail server {self.via} unavailable ({type(exc).__name__}: {exc}); "
                "the letters stay queued"
            ) from None
        if refused:  # only some recipients refused; a letter has one, so unreachable
            detail = "; ".join(_reply(code, reply) for code, reply in refused.values())
            raise DeliveryRefused(
                f"{self.via} refused the recipient ({detail})", permanent=True
            )


class FolderSender:
    """Writes each message to `<letter id>.eml` in a folder: for demos and air-gapped sites."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def via(self) -> str:
        return f"folder:{self.path}"

    def send(self, message: EmailMessage) -> None:
        name = _file_name(message)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            # Written whole then renamed, so a reader never sees half a letter.
            fd, tmp = tempfile.mkstemp(dir=self.path, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(message.as_bytes())
            Path(tmp).replace(self.path / name)
        except OSError as exc:
            raise ServiceUnavailable(
                f"cannot write letters to {self.path}: {exc}; the letters stay queued"
            ) from None


def sender_from_env(environ: Mapping[str, str], default_folder: Path) -> Sender:
    """SMTP when `CASEREVIEW_SMTP_URL` is set, otherwise .eml files in `default_folder`."""
    url = environ.get(SMTP_URL_ENV, "").strip()
    if url:
        return SmtpSender(url)
    return FolderSender(default_folder)


def _file_name(message: EmailMessage) -> str:
    key = message.get(LETTER_HEADER) or message.get("Message-ID") or ""
    safe = re.sub(r"[^A-Za-z0-9._-]", "", str(key).split("@")[0])
    if not safe:
        raise InvalidInput(f"a message without {LETTER_HEADER} or Message-ID")
    return f"{safe}.eml"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


# RFC 3463 enhanced status codes (class.subject.detail) and what they mean, in our words.
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
REASONS = {
    "1.1": "no such mailbox",
    "1.2": "no such mail domain",
    "1.3": "the address is malformed",
    "1.6": "the mailbox has moved",
    "1.10": "the domain accepts no mail",
    "2.1": "the mailbox is disabled",
    "2.2": "the mailbox is full",
    "2.3": "the message is larger than the mailbox accepts",
    "3.4": "the message is too big",
    "7.1": "delivery not authorised",
}


def _reply(code: int, reply: bytes | str) -> str:
    """A server's reply as it may be stored with a letter for ever: its code, its enhanced
    status code and a reason in our words. Never the server's own text, which often repeats
    the address it refused ("550 5.1.1 <name@example.org>: User unknown")."""
    found = _ENHANCED.search(_text(reply))
    reason = REASONS.get(f"{found[2]}.{found[3]}") if found else None
    reason = reason or (
        "refused for good" if code >= 500 else "refused for now; try again later"
    )
    return f"{code} {found[0]}: {reason}" if found else f"{code}: {reason}"


def _redacted(url: str) -> str:
    """The URL without its password, for error messages."""
    return redact_url(url)
