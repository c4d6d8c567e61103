"""The stored form of an import's ComplaintRecorded events, written in one step.

Even with the fast transcoder, the library's mapper walks every event generically (copy the
state, look up each value's writer, build a StoredEvent), which is most of an import's own time.
An imported complaint always has the same fields in the same order (`ComplaintIntake.record`
builds it so), so `ComplaintEncoder` fills one template: its keys are the event's stored
fields, read from the event class; `_encode` says how each value is written, in that order.
It must write exactly what the mapper writes: it checks itself against the mapper on a sample
event when made, and uses the mapper for everything if they ever differ (a library upgrade
that changes the format, say, or a field added to the event and not yet to `_encode`);
tests/unit/test_complaint_encoding.py compares the two over generated complaints.
"""

from __future__ import annotations

from array import array
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic

from casereview.adapters.transcoder import FastJSONTranscoder
from casereview.bulk_import.writer import EventRow
from casereview.domain.case import Case
from casereview.domain.case_events import ComplaintRecorded, stored_fields
from casereview.domain.intake import ComplaintIntake
from casereview.domain.personal import Person, Personal

FIELDS = stored_fields(ComplaintRecorded)


class ComplaintEncoder:
    def __init__(self, mapper: Mapper[UUID]) -> None:
        self.mapper = mapper
        self.topic = get_topic(Case.ComplaintRecorded)
        self.last_at: datetime | None = None
        self.last_at_text = ""
        transcoder = mapper.transcoder
        self.fast = (
            isinstance(transcoder, FastJSONTranscoder)
            and mapper.cipher is None
            and mapper.compressor is None
        )
        if isinstance(transcoder, FastJSONTranscoder):
            self.transcoder = transcoder
            self.template = self._template(transcoder)
            # A summary is new text every time: written here in one step, not through the
            # transcoder's generic walk (and its cache of values already written).
            self.summary_head = (
                '{"_type_":'
                + encode_basestring(transcoder.transcoding_name(Personal))
                + ',"_data_":{"subject":'
            )
            self.fast = self.fast and self._agrees()

    @staticmethod
    def _template(transcoder: FastJSONTranscoder) -> str:
        def registered(kind: type) -> str:
            name = encode_basestring(transcoder.transcoding_name(kind))
            return '{"_type_":' + name + ',"_data_":"%s"}'

        values = {
            "timestamp": registered(datetime),
            "incident_on": registered(date),
            "reported_on": registered(date),
        }
        parts = [f'"{k}":' + values.get(k, "%s") for k in FIELDS]
        version = Case.ComplaintRecorded.class_version
        return "{" + ",".join(parts) + f',"class_version":{int(version)}' + "}"

    def _agrees(self) -> bool:
        sample = ComplaintIntake(
            case_id=UUID(int=1),
            ref="SAMPLE-2026-0001",
            version=3,
            status="acknowledged",
            complaints=2,
            complainant=Person("p-sample", 'Ann "Sample" Ünïcode', None, "1 Road"),
            subject="p-sample",
            hashes=array("q"),
        )
        event = sample.record(
            agency="Sample Police",
            agency_ref="SP/1\\2",
            incident_on=date(2026, 1, 2),
            reported_on=date(2026, 1, 3),
            hate=True,
            summary="noise\nat night",
            at=datetime(2026, 1, 4, 5, 6, 7, 89, tzinfo=UTC),
            by="admin",
        )
        stored = self.mapper.to_stored_event(event)
        try:
            encoded = self._encode(event)
        except (TypeError, KeyError):  # the template and `_encode` name other fields
            return False
        return encoded == (
            event.originator_id.bytes,
            stored.originator_version,
            stored.topic,
            stored.state,
        )

    def __call__(self, event: ComplaintRecorded) -> EventRow:
        if not self.fast:
            stored = self.mapper.to_stored_event(event)
            return (
                event.originator_id.bytes,
                stored.originator_version,
                stored.topic,
                stored.state,
            )
        return self._encode(event)

    def _encode(self, event: ComplaintRecorded) -> EventRow:
        state: dict[str, Any] = event.__dict__
        write, summary = self.transcoder.write_value, state["summary"]
        if summary is None:
            summary_text = "null"
        elif type(summary) is Personal and type(summary.text) is str:
            summary_text = (
                self.summary_head
                + encode_basestring(summary.subject)
                + ',"text":'
                + encode_basestring(summary.text)
                + "}}"
            )
        else:
            summary_text = write(summary)
        at = state["timestamp"]
        if (
            at is not self.last_at
        ):  # a batch's events share one moment; its text is slow
            self.last_at, self.last_at_text = at, at.isoformat()
        text = self.template % (
            self.last_at_text,
            encode_basestring(state["complaint_id"]),
            encode_basestring(state["agency"]),
            _text_or_null(state["agency_ref"]),
            _text_or_null(state["incident"]),
            state["incident_on"].isoformat(),
            state["reported_on"].isoformat(),
            write(state["complainant"]),
            "true" if state["hate"] else "false",
            summary_text,
            encode_basestring(state["recorded_by"]),
        )
        return (
            state["originator_id"].bytes,
            state["originator_version"],
            self.topic,
            text.encode("utf8"),
        )


def _text_or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)
