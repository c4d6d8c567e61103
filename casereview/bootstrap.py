"""The one place that chooses adapters: the store from a URL, the clock, the policies, the
projector, the letter composer, the mail sender and the calendars, built into the services
every entry point calls (casereview.services). Adapters never import this module."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from casereview.adapters.redaction import redact, redact_url, url_secrets
from casereview.adapters.store import DEFAULT_DB, Store, ddl_lock, parse_store_url

if TYPE_CHECKING:
    from casereview.services.cases import CaseService

__all__ = [
    "DEFAULT_DB",
    "Store",
    "build_service",
    "parse_store_url",
    "redact",
    "redact_url",
    "system_clock",
    "url_secrets",
]


def system_clock() -> datetime:
    return datetime.now(UTC)


def build_service(
    store: Store, policies_dir: Path, clock: Callable[[], datetime] = system_clock
) -> CaseService:
    """The CaseService over this store, with the procedures of `policies_dir`."""
    from casereview.adapters.eventstore import CaseReviews
    from casereview.adapters.holidays import (
        OVERRIDES_FILE,
        calendar_for,
        load_overrides,
    )
    from casereview.adapters.policy_files import PolicyBook
    from casereview.notifications.compose import Composer
    from casereview.services.cases import CaseService

    policies = PolicyBook.load(policies_dir)
    overrides = load_overrides(policies_dir / OVERRIDES_FILE)
    composer = Composer(
        calendar_for=lambda nation: calendar_for(nation, overrides.get(nation))
    )
    with ddl_lock(store):  # the event tables are created on first use
        app = CaseReviews(env=dict(store.env), clock=clock)
    return CaseService(app, policies, composer=composer, overrides=overrides)
