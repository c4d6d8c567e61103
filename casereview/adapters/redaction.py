"""Credentials out of every message: the one helper for text that may carry a URL.

An operator's store or SMTP URL holds a password (`postgresql://app:secret@db/asb`), and a
URL that does not parse still holds it (`app:se#cret@...` puts part of it where the port
should be). Messages pass through `redact`, which masks the password of any URL in them and
every known secret wherever it appears, so neither stderr nor a log ever shows one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MASK = "***"
# scheme://user:PASSWORD@ -- up to the last "@" before a space or a quote, so a password
# holding "#", "/", "?" or "@" is masked whole.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@'\"]*):(?P<password>[^\s'\"]*)@"
)
# The word in the forms that messages show (`postgresql://user:password@host:5432/dbname`);
# a real password that happens to be this word is masked as one of `secrets`.
PLACEHOLDER = "password"
_KEYWORD_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'[^']*'|\S+)", re.I)
# A secret this short would mask ordinary words; URLs are masked by pattern whatever its length.
SHORTEST_SECRET = 4


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the password of every URL in it, and each of `secrets`, masked."""
    wanted = {s for s in secrets if len(s) >= SHORTEST_SECRET}
    for secret in sorted(wanted, key=len, reverse=True):  # no tail of one left showing
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(_masked, text)
    return _KEYWORD_PASSWORD.sub(rf"\g<head>{MASK}", text)


def _masked(found: re.Match[str]) -> str:
    if found["password"] == PLACEHOLDER:
        return found[0]
    return f"{found['head']}:{MASK}@"


def redact_url(url: str) -> str:
    """The URL as it may be shown: its password masked."""
    return redact(url, url_secrets(url))


def url_secrets(url: str) -> tuple[str, ...]:
    """The password of `url` (as written and decoded), even when the URL does not parse."""
    found: list[str] = []
    match = _URL_PASSWORD.search(url)
    if match is not None:
        found += [match["password"], unquote(match["password"])]
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        found += [password, unquote(password)]
    return tuple(dict.fromkeys(s for s in found if s))
