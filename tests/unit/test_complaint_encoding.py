"""The import's one-step encoding of ComplaintRecorded writes exactly what the library's mapper
writes, for any complaint."""

from __future__ import annotations

from array import array
from datetime import UTC, date, datetime
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.bulk_import.encoding import ComplaintEncoder
from casereview.domain.intake import ComplaintIntake
from casereview.domain.personal import Person
from tests.unit.test_transcoder import FAST, SLOW

maybe_text = st.none() | st.text()


@settings(max_examples=300)
@given(
    name=st.text(),
    email=maybe_text,
    agency=st.text(),
    agency_ref=st.text(),
    incident_on=st.dates(),
    reported_days=st.integers(0, 400),
    hate=st.booleans(),
    summary=maybe_text,
    at=st.datetimes(timezones=st.just(UTC)),
    by=st.text(),
    version=st.integers(1, 10**6),
)
def test_an_imported_complaint_is_stored_exactly_as_the_mapper_stores_it(
    name: str,
    email: str | None,
    agency: str,
    agency_ref: str,
    incident_on: date,
    reported_days: int,
    hate: bool,
    summary: str | None,
    at: datetime,
    by: str,
    version: int,
) -> None:
    encoder = ComplaintEncoder(Mapper(transcoder=FAST))
    assert encoder.fast
    intake = ComplaintIntake(
        case_id=UUID(int=version),
        ref="GOSPORT-2026-0001",
        version=version,
        status="received",
        complaints=version - 1,
        complainant=Person("p-1", name, email, None),
        subject="p-1",
        hashes=array("q"),
    )
    reported_on = date.fromordinal(
        min(incident_on.toordinal() + reported_days, date.max.toordinal())
    )
    event = intake.record(
        agency=agency,
        agency_ref=agency_ref,
        incident_on=incident_on,
        reported_on=reported_on,
        hate=hate,
        summary=summary or None,
        at=at,
        by=by,
    )
    stored = Mapper(transcoder=SLOW).to_stored_event(event)
    assert encoder(event) == (
        UUID(int=version).bytes,
        stored.originator_version,
        stored.topic,
        stored.state,
    )


def test_without_the_fast_transcoder_it_is_the_mapper() -> None:
    assert not ComplaintEncoder(Mapper(transcoder=JSONTranscoder())).fast
