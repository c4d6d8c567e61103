"""Errors grouped by what the user can do about them; cli.py maps each group to an exit code."""

from __future__ import annotations


class CaseReviewError(Exception):
    """Base of every error casereview raises on purpose."""

    exit_code = 1


class InvalidInput(CaseReviewError):
    """The input cannot be right: a malformed date, an unknown area, a date in the future."""

    exit_code = 2


class FieldError(InvalidInput):
    """One input field is wrong. `field` is its domain name (`incident_on`); each entry point
    names it in its own words (the CLI as `--incident-on`)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


class RuleViolation(CaseReviewError):
    """A rule of the process refuses the step: out of order, or stricter than the Act."""

    exit_code = 3


class NotFound(CaseReviewError):
    """No such case, complaint, recommendation or action."""

    exit_code = 4


class Conflict(CaseReviewError):
    """Someone else changed the case first; nothing was written."""

    exit_code = 5


class ServiceUnavailable(CaseReviewError):
    """The database or mail server cannot be reached."""

    exit_code = 6


class StepOutOfOrder(RuleViolation):
    """The case is not at a stage where this step is allowed."""

    def __init__(self, ref: str, step: str, status: str, needs: str) -> None:
        super().__init__(f"{ref}: cannot {step} while the case is {status}; {needs}")
        self.ref, self.step, self.status = ref, step, status


class DecisionAlreadyStands(RuleViolation):
    """A threshold decision stands; only an upheld appeal reopens it."""

    def __init__(self, ref: str, decided_on: object) -> None:
        super().__init__(
            f"{ref}: the threshold was already decided on {decided_on}; a second decision "
            "needs an upheld appeal that reopens it at the threshold"
        )


class DiscretionRequired(RuleViolation):
    """The procedure refers this case to a named role: their recorded decision is needed."""

    def __init__(self, ref: str, area: str, role: str) -> None:
        super().__init__(
            f"{ref}: {area}'s procedure refers a vulnerable applicant's case to the {role} "
            "when no test is met; record their decision as a discretionary decision (met or "
            "not-met) with their reasons"
        )


class CaseNotFound(NotFound):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no case {ref!r} (references look like AREA-YYYY-NNNN)")


class ItemNotFound(NotFound):
    def __init__(self, ref: str, kind: str, item_id: str, known: list[str]) -> None:
        known_text = ", ".join(known) if known else "none recorded"
        super().__init__(f"{ref}: no {kind} {item_id!r} (known: {known_text})")
