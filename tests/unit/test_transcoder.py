"""The fast transcoder writes exactly the library's bytes, so the stored format never depends
on which of the two wrote an event."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.adapters.eventstore import CaseReviews
from casereview.adapters.transcoder import FastJSONTranscoder
from casereview.domain.case import Case
from casereview.domain.personal import Person, Personal


def pair() -> tuple[JSONTranscoder, FastJSONTranscoder]:
    """The library's transcoder and ours, with the application's transcodings."""
    app = CaseReviews.__new__(CaseReviews)  # only its register_transcodings is used
    slow, fast = JSONTranscoder(), FastJSONTranscoder()
    app.register_transcodings(slow)
    app.register_transcodings(fast)
    return slow, fast


SLOW, FAST = pair()
text = st.text()  # any unicode: quotes, backslashes, control characters, astral planes
maybe_text = st.none() | text
people = st.builds(Person, text, maybe_text, maybe_text, maybe_text)
personal = st.builds(Personal, text, text)
days = st.dates()
moments = st.datetimes(timezones=st.just(UTC))
plain = st.none() | st.booleans() | st.integers() | text
registered = days | moments | people | personal | st.uuids()
awkward = (
    st.floats(allow_nan=True)
    | st.lists(plain | registered, max_size=3)
    | st.dictionaries(text, plain | days, max_size=3)
)


@settings(max_examples=400)
@given(st.dictionaries(text, plain | registered | awkward, max_size=12))
def test_any_state_is_written_exactly_as_the_library_writes_it(
    state: dict[str, Any],
) -> None:
    written = FAST.encode(state)
    assert written == SLOW.encode(state)
    assert FAST.decode(written) == SLOW.decode(written)


@settings(max_examples=200)
@given(
    agency=text,
    agency_ref=maybe_text,
    incident_on=days,
    reported_on=days,
    complainant=people,
    hate=st.booleans(),
    summary=st.none() | personal,
    at=moments,
)
def test_a_complaint_event_is_stored_byte_for_byte_as_the_library_stores_it(
    agency: str,
    agency_ref: str | None,
    incident_on: date,
    reported_on: date,
    complainant: Person,
    hate: bool,
    summary: Personal | None,
    at: datetime,
) -> None:
    event = Case.ComplaintRecorded(
        originator_id=UUID(int=7),
        originator_version=3,
        timestamp=at,
        complaint_id="C2",
        agency=agency,
        agency_ref=agency_ref,
        incident=None,
        incident_on=incident_on,
        reported_on=reported_on,
        complainant=complainant,
        hate=hate,
        summary=summary,
        recorded_by="admin",
    )
    state = dict(vars(event))
    del state["originator_id"], state["originator_version"]
    assert FAST.encode(state) == SLOW.encode(state)


def test_values_it_does_not_know_go_the_librarys_way() -> None:
    state = {"when": [date(2026, 1, 2)], "n": 1.5, "nested": {"d": date(2026, 1, 3)}}
    assert FAST.encode(state) == SLOW.encode(state)
    assert json.loads(FAST.encode(state))["when"][0]["_type_"] == "date_iso"
