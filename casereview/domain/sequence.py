"""Case references `AREA-YYYY-NNNN`: a sequence per area and year of receipt.

Each number is issued by an event on the sequence's own stream, saved in the same transaction as
the new case, so two administrators receiving applications at once never share a reference: the
second save conflicts and is retried on the fresh sequence.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def sequence_id(area: str, year: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"/casereview/sequence/{area}/{year}")


class ReferenceSequence(Aggregate):
    TOPIC = "casereview:ReferenceSequence"

    class Created(Aggregate.Created):
        TOPIC = "casereview:ReferenceSequence.Created"

    class ReferenceSequenceStarted(Aggregate.Created):
        TOPIC = "casereview:ReferenceSequenceStarted"
        area: str
        year: int

    class ReferenceIssued(Aggregate.Event):
        TOPIC = "casereview:ReferenceIssued"
        number: int

    @classmethod
    def start(cls, area: str, year: int, *, at: datetime) -> ReferenceSequence:
        return cls._create(
            cls.ReferenceSequenceStarted,
            id=sequence_id(area, year),
            timestamp=at,
            area=area,
            year=year,
        )

    @event(ReferenceSequenceStarted)
    def __init__(self, area: str, year: int) -> None:
        self.area, self.year, self.last = area, year, 0

    def issue(self, *, at: datetime) -> str:
        self.trigger_event(self.ReferenceIssued, timestamp=at, number=self.last + 1)
        return f"{self.area.upper()}-{self.year}-{self.last:04d}"

    @event(ReferenceIssued)
    def _issued(self, number: int) -> None:
        self.last = number
