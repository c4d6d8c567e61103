"""The read models' tables, in SQL through SQLAlchemy Core.

Every table name carries an optional prefix, so a rebuild can go into fresh tables beside the
live ones and be compared with them. No column holds personal data: names, contact details and
free text stay only in the events (where a per-person cipher can later erase them). A row keys a
case by its reference and by its stream id (derived from the reference), never by a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from casereview.domain.identity import KEY_WIDTH

POSITION_NAME = "casereview"
"""The row of `projection_position` this projector owns."""

SCHEMA_VERSION = 3
"""The read models' shape. Bump it whenever a table or column here changes, or a handler in
apply.py/tracking.py starts filling rows differently. Every table name carries it (`v2_cases`),
so a new version builds its own tables beside the old ones from the log, while programs of the
old version go on reading theirs (no downtime); it switches to them once they have caught up,
and `casereview projections rebuild` drops tables of other versions. The log is the truth;
read models are disposable.

History: 1 = cases, complaints, deadlines, letters; 2 = adds recommendations and actions;
3 = adds `skipped` (events of the log the tables could not hold) and complaints.identity,
the indexed key of (agency, agency_ref) as compared."""

VERSION_PATTERN = r"v(\d+)_projection_position"
"""How the position table of each version present in a database is recognised."""


DIGESTED = (
    "cases",
    "complaints",
    "deadlines",
    "letters",
    "recommendations",
    "actions",
)
"""The read-model tables compared by `verify` (position and meta are bookkeeping)."""


@dataclass(frozen=True)
class ProjectionTables:
    prefix: str
    metadata: MetaData
    cases: Table
    complaints: Table
    deadlines: Table
    letters: Table
    recommendations: Table
    actions: Table
    position: Table
    skipped: Table

    def by_name(self) -> dict[str, Table]:
        """Each table under its name without the prefix."""
        return {
            "cases": self.cases,
            "complaints": self.complaints,
            "deadlines": self.deadlines,
            "letters": self.letters,
            "recommendations": self.recommendations,
            "actions": self.actions,
            "projection_position": self.position,
            "skipped": self.skipped,
        }


def make_tables(prefix: str = "", version: int | None = None) -> ProjectionTables:
    """A fresh MetaData holding the read-model tables of one schema version (the code's by
    default), their names starting with `prefix` then `v<version>_`."""
    if prefix and not prefix.replace("_", "").isalnum():
        raise ValueError(f"table prefix {prefix!r}: letters, digits and _ only")
    outer = prefix
    prefix = f"{prefix}v{SCHEMA_VERSION if version is None else version}_"
    metadata = MetaData()
    cases = Table(
        f"{prefix}cases",
        metadata,
        Column("ref", String(64), primary_key=True),
        Column("case_id", String(32), nullable=False, unique=True),
        Column("area", String(64), nullable=False),
        Column("status", String(32), nullable=False),
        Column("received_on", Date, nullable=False),
        Column("applicant_kind", String(32), nullable=False),
        Column("hate", Boolean, nullable=False),
        Column("vulnerable", Boolean, nullable=False),
        Column("complaints", Integer, nullable=False, default=0),
        Column("acknowledged_on", Date),
        Column("decided_on", Date),
        Column("threshold_met", Boolean),
        Column("basis", String(32)),
        Column("route", String(32)),
        Column("meeting_on", Date),
        Column("reviewed_on", Date),
        Column("recommendations", Integer, nullable=False, default=0),
        Column("actions_open", Integer, nullable=False, default=0),
        Column("outcome_sent_on", Date),
        Column("appeal_lodged_on", Date),
        Column("appeal_upheld", Boolean),
        Column("closed_on", Date),
        Column("withdrawn_on", Date),
        Column("version", Integer, nullable=False),
        Index(f"ix_{prefix}cases_area_status", "area", "status"),
    )
    complaints = Table(
        f"{prefix}complaints",
        metadata,
        Column("ref", String(64), primary_key=True),
        Column("complaint_id", String(16), primary_key=True),
        Column("agency", String(200), nullable=False),
        Column("agency_ref", String(200)),
        Column("incident", String(200)),
        Column("incident_on", Date, nullable=False),
        Column("reported_on", Date, nullable=False),
        Column("hate", Boolean, nullable=False),
        # casereview.domain.identity.identity_key(agency, agency_ref): which case an agency's
        # reference is recorded on, however its case and spaces were typed.
        Column("identity", String(KEY_WIDTH)),
        Index(f"ix_{prefix}complaints_agency_ref", "agency", "agency_ref"),
        Index(f"ix_{prefix}complaints_identity", "identity"),
    )
    deadlines = Table(
        f"{prefix}deadlines",
        metadata,
        Column("deadline_id", String(32), primary_key=True),
        Column("ref", String(64), nullable=False),
        Column("kind", String(64), nullable=False),
        Column("from_step", String(32), nullable=False),
        Column("until_step", String(32), nullable=False),
        Column("start_on", Date, nullable=False),
        Column("rule", String(64), nullable=False),
        Column("due_on", Date, nullable=False),
        Column("remind_on", Date),
        Column("state", String(16), nullable=False),
        Column("reminded_on", Date),
        Column("breached_on", Date),
        Column("ended_on", Date),
        Column("in_time", Boolean),
        # The scheduled check reads only open deadlines, by the day they fall due.
        Index(f"ix_{prefix}deadlines_open_due", "ended_on", "state", "due_on"),
        Index(
            f"ix_{prefix}deadlines_open_remind", "ended_on", "reminded_on", "remind_on"
        ),
        Index(f"ix_{prefix}deadlines_ref", "ref"),
    )
    letters = Table(
        f"{prefix}letters",
        metadata,
        Column("letter_id", String(32), primary_key=True),
        Column("ref", String(64), nullable=False),
        Column("template", String(64), nullable=False),
        Column("recipient_role", String(64), nullable=False),
        Column("state", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("queued_at", DateTime, nullable=False),
        Column("retry_after", DateTime),
        Column("sent_at", DateTime),
        Index(f"ix_{prefix}letters_state", "state", "retry_after"),
        Index(f"ix_{prefix}letters_ref", "ref"),
    )
    # One row per recommendation. `made_on` is the date of the review meeting the
    # recommendation came from: RecommendationMade carries no business date of its own, and the
    # case only accepts one while it stands at "reviewed", so the case's `reviewed_on` at that
    # moment is the meeting's date (the recording time's UK date only if that were ever unset).
    recommendations = Table(
        f"{prefix}recommendations",
        metadata,
        Column("ref", String(64), primary_key=True),
        Column("recommendation_id", String(16), primary_key=True),
        Column("agency", String(200), nullable=False),
        Column("due_on", Date),
        Column("made_on", Date, nullable=False),
        Index(f"ix_{prefix}recommendations_due", "due_on"),
    )
    actions = Table(
        f"{prefix}actions",
        metadata,
        Column("ref", String(64), primary_key=True),
        Column("action_id", String(16), primary_key=True),
        Column("recommendation_id", String(16), nullable=False),
        Column("owner", String(200), nullable=False),
        Column("due_on", Date, nullable=False),
        Column("completed_on", Date),
        Index(f"ix_{prefix}actions_recommendation", "ref", "recommendation_id"),
    )
    position = Table(
        f"{prefix}projection_position",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("notification_id", BigInteger, nullable=False),
    )
    # An event the tables could not hold (one written by an older version that checked no
    # limits, say): its position and why, so that one event never stops the read models,
    # deadlines or letters, and every command that reads says so. No value of the event.
    skipped = Table(
        f"{prefix}skipped",
        metadata,
        Column("position", BigInteger, primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("problem", String(500), nullable=False),
    )
    return ProjectionTables(
        outer,
        metadata,
        cases,
        complaints,
        deadlines,
        letters,
        recommendations,
        actions,
        position,
        skipped,
    )
