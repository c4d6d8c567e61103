"""One helper takes credentials out of every message that may carry a URL (issue 11, item 8)."""

from __future__ import annotations

import pytest

from casereview.adapters.redaction import redact, url_secrets


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "postgresql://app:S3cretPW@db.example:5432/asb",
            "postgresql://app:***@db.example:5432/asb",
        ),
        (
            "--db: 'postgresql://app:S3cret#PW@127.0.0.1/test' is not a store",
            "--db: 'postgresql://app:***@127.0.0.1/test' is not a store",
        ),
        ("smtp+starttls://u:p%40ss@mail:587", "smtp+starttls://u:***@mail:587"),
        ("host=db password=S3cretPW user=app", "host=db password=*** user=app"),
        ("postgresql://app@db.example/asb", "postgresql://app@db.example/asb"),
        ("sqlite:///casereview.db", "sqlite:///casereview.db"),
        ("no URL here, just a@b.example", "no URL here, just a@b.example"),
    ],
)
def test_redact_hides_the_password_of_any_url_in_a_message(text, shown):
    assert redact(text) == shown


def test_redact_hides_a_known_secret_wherever_it_appears():
    assert redact("port 'S3cretPW' is not a number", ("S3cretPW",)) == (
        "port '***' is not a number"
    )


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://app:S3cretPW@db/asb", "S3cretPW"),
        ("postgresql://app:p%40ss%2Fword@db/asb", "p@ss/word"),
        ("postgresql://app:S3cret#PW@127.0.0.1/test", "S3cret#PW"),
        ("postgresql://app:S3cretPW@[::1/test", "S3cretPW"),
    ],
)
def test_url_secrets_finds_the_password_even_in_a_url_that_does_not_parse(url, secret):
    assert secret in url_secrets(url)


def test_url_secrets_is_empty_without_a_password():
    assert url_secrets("sqlite:///casereview.db") == ()
    assert url_secrets("postgresql://app@db/asb") == ()


def test_redact_leaves_the_placeholder_of_an_example_form_alone():
    form = "expected postgresql://user:password@host:5432/dbname"

    assert redact(form) == form
    assert redact(form + " not postgresql://app:hunter22@db/x") == (
        form + " not postgresql://app:***@db/x"
    )
