"""The one place that chooses adapters: the store from a URL, the clock, the policies, the
projector, the letter composer, the mail sender and the calendars, built into the services
every entry point calls (casereview.services). Adapters never import this module."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from casereview.adapters.redaction import redact, redact_url, url_secrets
from casereview.adapters.store import DEFAULT_DB, Store, ddl_lock, parse_store_url

if TYPE_CHECKING:
    from casereview.adapters.mail import Sender
    from casereview.projections.runner import Projector
    from casereview.services import Notices, Services
    from casereview.services.cases import CaseService
    from casereview.services.integrity import IntegrityService

__all__ = [
    "DEFAULT_DB",
    "Settings",
    "Store",
    "build_service",
    "build_services",
    "parse_store_url",
    "redact",
    "redact_url",
    "shipped_policies",
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


def shipped_policies() -> Path:
    """The procedures installed with the package (policies/ of the repository)."""
    from casereview.adapters.policy_files import SHIPPED_POLICIES

    return SHIPPED_POLICIES


@dataclass
class Settings:
    """What an entry point knows: the store's URL, the policy folder, the environment (for
    CASEREVIEW_SMTP_URL and CASEREVIEW_CHECKPOINT_KEY), the clock, and where the services'
    warnings go. `outbox` overrides the folder letters are written to without SMTP, and
    `smtp=False` keeps every letter in that folder whatever the environment says (the demo)."""

    db: str = DEFAULT_DB
    policies: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = system_clock
    outbox: Path | None = None
    smtp: bool = True


def build_services(
    settings: Settings, notices: Notices | None = None, *, store: Store | None = None
) -> Services:
    """Every service over one store, wired from the settings (the only place that does).
    Nothing is opened until a service is first used."""
    from casereview.services import Notices, Services

    chosen = store or parse_store_url(settings.db)
    outbox = settings.outbox or _default_outbox(chosen)

    def make_cases() -> CaseService:
        return build_service(
            chosen, settings.policies or shipped_policies(), settings.clock
        )

    def make_projector(cases: CaseService) -> Projector:
        from casereview.projections.runner import Projector

        return Projector(cases.app, chosen)

    def make_sender() -> Sender:
        from casereview.adapters.mail import FolderSender, sender_from_env

        if not settings.smtp:
            return FolderSender(outbox)
        return sender_from_env(settings.environ, outbox)

    def make_integrity() -> IntegrityService:
        from casereview.services.integrity import IntegrityService

        return IntegrityService(chosen.env, settings.environ, settings.clock)

    def make_lock(on_wait: Callable[[str], None]) -> AbstractContextManager[None]:
        from casereview.adapters.scheduler_lock import single_instance

        return single_instance(chosen, on_wait)

    return Services(
        make_lock=make_lock,
        make_cases=make_cases,
        make_projector=make_projector,
        make_sender=make_sender,
        make_integrity=make_integrity,
        clock=settings.clock,
        notices=notices or Notices(),
    )


def _default_outbox(store: Store) -> Path:
    from casereview.adapters.store import default_outbox

    return default_outbox(store)
