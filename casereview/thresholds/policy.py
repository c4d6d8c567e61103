"""A local ASB Case Review procedure as validated data (ABCPA 2014 s.104(3), Sch. 4 para 1).

The model is pure: it parses a mapping (read from TOML at the edge) and refuses anything the
Act does not allow a local procedure to ask. Nothing here reads files or the clock.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from casereview.errors import InvalidInput, RuleViolation

# ABCPA 2014 s.104(7)-(8) as read in DOMAIN.md section 1: three complaints, each within the
# month beginning with the behaviour, the application within six months of each complaint.
ACT_MAX_COMPLAINTS = 3
ACT_COMPLAIN_WITHIN_MONTHS = 1
ACT_APPLY_WITHIN_MONTHS = 6
# The shortest month: a day window below this is shorter than the Act's month in every month.
# A day window is only applied where it admits more than the month (DOMAIN.md section 2).
ACT_SHORTEST_MONTH_DAYS = 28
SCHEMA_VERSION = 1

Step = Literal[
    "received",
    "acknowledged",
    "threshold_decided",
    "meeting_held",
    "outcome_sent",
    "appeal_lodged",
    "appeal_decided",
]
# The lifecycle order of DOMAIN.md section 4, used to check that a timescale runs forwards.
STEP_ORDER: tuple[Step, ...] = (
    "received",
    "acknowledged",
    "threshold_decided",
    "meeting_held",
    "outcome_sent",
    "appeal_lodged",
    "appeal_decided",
)
Unit = Literal["working", "calendar"]
Nation = Literal["england", "wales"]

# Caveats seen in real procedures that the Act does not allow (DOMAIN.md section 2). A file may
# name them only to say they do not apply; `true` is refused as stricter than the Act.
UNLAWFUL_CAVEATS: dict[str, str] = {
    "requires_case_closed": "the case must be closed",
    "requires_investigation_complete": "the investigation must be complete",
    "latest_incident_within_month": "the latest incident must be within a month of applying",
    "applicant_must_have_witnessed": "the applicant must have witnessed it",
    "diary_sheets_excluded": "diary sheets do not count",
    "different_agencies_required": "complaints must be to different agencies",
}


class PolicyError(InvalidInput):
    """A policy file that cannot be read or does not match the schema (exit 2)."""


class PolicyStricterThanAct(RuleViolation):
    """A policy that asks more than the Act allows (exit 3); it is never loaded."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Threshold(_Strict):
    """The standard count and windows; the Act's values are the strictest allowed."""

    # `count` is accepted as another name for it: procedures say "the count" as often.
    complaints: int = Field(
        default=ACT_MAX_COMPLAINTS,
        ge=1,
        validation_alias=AliasChoices("complaints", "count"),
    )
    # Windows may be 0 at schema level so a short window is reported as stricter than the Act
    # (exit 3, naming the field) rather than as a malformed file; negatives are malformed.
    complain_within_months: int = Field(default=ACT_COMPLAIN_WITHIN_MONTHS, ge=0)
    complain_within_days: int | None = Field(default=None, ge=0)
    apply_within_months: int = Field(default=ACT_APPLY_WITHIN_MONTHS, ge=0)
    requires_case_closed: bool = False
    requires_investigation_complete: bool = False
    latest_incident_within_month: bool = False
    applicant_must_have_witnessed: bool = False
    diary_sheets_excluded: bool = False
    different_agencies_required: bool = False


class Route(_Strict):
    """An extra local way of meeting the threshold; it can only add, never take away."""

    kind: Literal["hate", "community", "vulnerability"]
    complaints: int | None = Field(default=None, ge=1)
    individuals: int | None = Field(default=None, ge=2)
    complain_within_days: int | None = Field(default=None, ge=0)
    decided_by: str | None = None

    @model_validator(mode="after")
    def _has_its_rule(self) -> Route:
        needed = {
            "hate": "complaints",
            "community": "individuals",
            "vulnerability": "decided_by",
        }
        key = needed[self.kind]
        if getattr(self, key) is None:
            raise ValueError(f"a {self.kind} route needs `{key}`")
        return self


class Timescale(_Strict):
    """A promised time between two steps, in working or calendar days."""

    name: str
    from_: Step = Field(alias="from")
    until: Step
    days: int = Field(ge=1)
    unit: Unit = "working"
    remind_before: int = Field(default=0, ge=0)
    roll_forward: bool = False
    notify: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _runs_forwards(self) -> Timescale:
        where = f"timescale {self.name!r}"
        if self.from_ == self.until:
            raise ValueError(f"{where}: `from` and `until` are both {self.from_!r}")
        if STEP_ORDER.index(self.until) < STEP_ORDER.index(self.from_):
            raise ValueError(
                f"{where}: `until` ({self.until}) comes before `from` ({self.from_}); "
                f"steps run {' < '.join(STEP_ORDER)}"
            )
        if self.roll_forward and self.unit == "working":
            raise ValueError(
                f"{where}: `roll_forward` applies to calendar days only "
                "(a working-day due date is already a working day)"
            )
        if self.remind_before >= self.days:
            raise ValueError(
                f"{where}: `remind_before` ({self.remind_before}) must be less than "
                f"`days` ({self.days})"
            )
        return self

    @property
    def rule(self) -> str:
        return f"{self.days} {self.unit} days"


class Appeal(_Strict):
    """Where an applicant unhappy with the handling or the review goes (Sch. 4 para 3)."""

    body: str
    from_: Step = Field(default="outcome_sent", alias="from")
    days: int = Field(ge=1)
    unit: Unit = "working"

    @property
    def rule(self) -> str:
        return f"{self.days} {self.unit} days"


class Procedure(_Strict):
    """One version of one area's published procedure, in force from `effective_from`."""

    schema_: Annotated[int, Field(alias="schema")] = 1
    slug: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    area: str
    nation: Nation
    effective_from: date
    source: str
    read_on: date | None = None
    relevant_bodies: tuple[str, ...] = ()
    threshold: Threshold = Threshold()
    routes: tuple[Route, ...] = ()
    timescales: tuple[Timescale, ...] = ()
    appeal: Appeal | None = None
    contacts: dict[str, str] = Field(default_factory=dict)
    file_hash: str = ""

    @model_validator(mode="after")
    def _is_consistent(self) -> Procedure:
        problems = []
        if self.schema_ != SCHEMA_VERSION:
            problems.append(
                f"schema: version {self.schema_} is not known (expected {SCHEMA_VERSION})"
            )
        if not self.source.startswith(("https://", "http://")):
            problems.append(
                f"source: {self.source!r} is not a URL (expected the published procedure's "
                "https:// address)"
            )
        problems += [
            f"routes: more than one {kind!r} route (one of each kind)"
            for kind in _repeated(r.kind for r in self.routes)
        ]
        problems += [
            f"timescales: more than one timescale named {name!r}"
            for name in _repeated(t.name for t in self.timescales)
        ]
        known = ", ".join(sorted(self.contacts)) or "none"
        problems += [
            f"timescale {t.name!r}: notify role {role!r} is not in [contacts] (known: {known})"
            for t in self.timescales
            for role in t.notify
            if role not in self.contacts
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def route(self, kind: str) -> Route | None:
        return next((r for r in self.routes if r.kind == kind), None)

    @property
    def version(self) -> str:
        return f"{self.slug}/{self.effective_from.isoformat()}"


def stricter_than_act(procedure: Procedure) -> list[str]:
    """Every way this procedure asks more than the Act, as `field: reason`."""
    t = procedure.threshold
    problems = []
    if t.complaints > ACT_MAX_COMPLAINTS:
        problems.append(
            f"threshold.complaints: {t.complaints} complaints is stricter than the Act "
            f"allows (at most {ACT_MAX_COMPLAINTS})"
        )
    if t.complain_within_months < ACT_COMPLAIN_WITHIN_MONTHS:
        problems.append(
            f"threshold.complain_within_months: {t.complain_within_months} months is "
            f"stricter than the Act's {ACT_COMPLAIN_WITHIN_MONTHS} (must be at least "
            f"{ACT_COMPLAIN_WITHIN_MONTHS})"
        )
    problems += _day_window("threshold", t.complain_within_days)
    if t.apply_within_months < ACT_APPLY_WITHIN_MONTHS:
        problems.append(
            f"threshold.apply_within_months: {t.apply_within_months} months is stricter "
            f"than the Act's {ACT_APPLY_WITHIN_MONTHS}"
        )
    for key, caveat in UNLAWFUL_CAVEATS.items():
        if getattr(t, key):
            problems.append(
                f"threshold.{key}: '{caveat}' is a caveat the Act does not allow"
            )
    for r in procedure.routes:
        if r.complaints is not None and r.complaints > ACT_MAX_COMPLAINTS:
            problems.append(
                f"routes.{r.kind}.complaints: {r.complaints} complaints is stricter than the "
                f"Act allows (at most {ACT_MAX_COMPLAINTS})"
            )
        problems += _day_window(f"routes.{r.kind}", r.complain_within_days)
    return problems


def _repeated(values: Iterable[str]) -> list[str]:
    seen = list(values)
    return sorted({v for v in seen if seen.count(v) > 1})


def _day_window(where: str, days: int | None) -> list[str]:
    if days is None or days >= ACT_SHORTEST_MONTH_DAYS:
        return []
    return [
        f"{where}.complain_within_days: {days} days is shorter than the Act's month "
        f"(at least {ACT_SHORTEST_MONTH_DAYS}; a day window only adds to the month)"
    ]


def _describe(err: ErrorDetails) -> str:
    """One `field: message` line for a pydantic error, naming unknown keys as such."""
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key (not part of schema {SCHEMA_VERSION})"
    if err["type"] == "missing":
        return f"{where}: required key is missing"
    message = err["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_procedure(data: bytes, slug: str, name: str = "policy") -> Procedure:
    """Parse and validate one policy file's bytes; raise with one `field: message` per problem."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{name}: not valid TOML: {exc}") from None
    raw["slug"] = slug
    raw["file_hash"] = hashlib.sha256(data).hexdigest()
    try:
        procedure = Procedure.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(_describe(err) for err in exc.errors())
        raise PolicyError(f"{name}: {details}") from None
    problems = stricter_than_act(procedure)
    if problems:
        raise PolicyStricterThanAct(f"{name}: " + "; ".join(problems))
    return procedure


# The Act's own test, used when an area has no file and as the floor under every local one.
ACT_DEFAULT = Procedure(
    slug="act",
    area="ABCPA 2014 s.104 (statutory default)",
    nation="england",
    effective_from=date(2014, 10, 20),
    source="https://www.legislation.gov.uk/ukpga/2014/12/section/104",
)
