"""Stored events as the read-model handlers read them, decoded leanly.

The library's mapper turns every stored event into a domain event: the whole JSON state through
the transcoder's object hook (a Python call per JSON object, a transcoding per date, person and
timestamp), a UUID per stream, and upcasting. The read models need a handful of fields of each
event, so a `Change` parses the JSON without the hook (the C parser alone) and decodes only the
fields read: those named for its class up front (`eager`), any other when first read. A field
is decoded as the transcoder's hook would have left it: innermost objects first, an object of
the form {"_type_": name, "_data_": data} by the transcoding registered under that name; so the
value read is the value the domain event would hold.

A stored state older than its class (`class_version` below the class's) goes through the mapper
instead, upcasters and all, so an upcaster never has to be repeated here; so does every event
when the transcoder does not decode as the library's JSON one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    JSONTranscoder,
    StoredEvent,
    Transcoding,
    TranscodingNotRegisteredError,
)
from eventsourcing.utils import resolve_topic

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper

_parse = json.JSONDecoder().decode
"""The transcoder's JSON decoder without its object hook."""


class Stored(Protocol):
    """What the decoder reads of a stored event (a StoredEvent, or a row of the log)."""

    @property
    def originator_id(self) -> UUID | str: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


OWN = frozenset({"event_type", "stream", "originator_version"})
"""Attributes of every Change; no event class may have a field so named."""


class Change:
    """One stored event: its class (`event_type`), stream id (hex) and version, and its fields
    as attributes (a field the state lacks falls back to the class, as on the domain event)."""

    def __init__(
        self,
        event_type: type[Any],
        stream: str,
        version: int,
        fields: dict[str, Any],
        undecoded: dict[str, Any],
        values: Values | None,
    ) -> None:
        self.__dict__.update(fields)
        self.event_type, self.stream, self.originator_version = (
            event_type,
            stream,
            version,
        )
        self._undecoded, self._values = undecoded, values

    def __getattr__(self, name: str) -> Any:
        # Reached only for a field not decoded yet: decode it now, once.
        undecoded = self.__dict__.get("_undecoded", {})
        if name not in undecoded:
            return getattr(self.event_type, name)
        value = self._values.decoded(undecoded[name]) if self._values else None
        self.__dict__[name] = value
        return value


class Values:
    """Decodes JSON values as the transcoder's object hook does, given its transcodings."""

    def __init__(self, names: Mapping[str, Transcoding]) -> None:
        self.names = names
        self._seen: dict[tuple[str, str], Any] = {}

    def picked(self, state: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        """The fields of `state` so named, decoded (those it lacks left out)."""
        fields = {}
        for name in names:
            if name in state:
                value = state[name]
                kind = type(value)
                fields[name] = (
                    value
                    if kind is not dict and kind is not list
                    else (self.decoded(value))
                )
        return fields

    def decoded(self, value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            return self._object(value)
        if kind is list:
            return [self.decoded(v) for v in value]
        return value

    def _object(self, value: dict[str, Any]) -> Any:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return self._registered(value["_type_"], value["_data_"])
        return {k: self.decoded(v) for k, v in value.items()}

    def _registered(self, name: str, data: Any) -> Any:
        if type(data) is str:
            # A year of events holds a few hundred distinct dates: decode each once.
            found = self._seen.get((name, data), _UNSEEN)
            if found is not _UNSEEN:
                return found
        transcoding = self.names.get(name)
        if transcoding is None:
            msg = f"Data serialized with name '{name}' is not deserializable."
            raise TranscodingNotRegisteredError(msg)
        value = transcoding.decode(self.decoded(data))
        if type(data) is str and type(value) in SHAREABLE:
            if len(self._seen) >= SEEN_LIMIT:
                self._seen.clear()
            self._seen[name, data] = value
        return value


_UNSEEN = object()
SHAREABLE = frozenset({date, datetime})
"""Immutable decoded values, so one object may stand for every equal one."""
SEEN_LIMIT = 50_000


class Decoder:
    """Makes `Change`s of stored events with the application's mapper's settings, decoding
    up front the fields `eager` names for each event class (those its handler reads)."""

    def __init__(
        self, mapper: Mapper[Any], eager: Mapping[type[Any], tuple[str, ...]]
    ) -> None:
        self.mapper, self.eager = mapper, eager
        json_ = _library_json(mapper.transcoder)
        self.values = Values(json_.names) if json_ is not None else None

    def __call__(self, stored: Stored, stream: str | None = None) -> Change:
        """The event stored, on the stream `stream` (its id in hex; derived from the stored
        event's id when not given)."""
        if self.values is None:
            return self._mapped(stored)
        kind = resolve_topic(stored.topic)
        state = _parse(self._plain(stored.state).decode("utf8"))
        if state.pop("class_version", 1) < getattr(kind, "class_version", 1):
            return self._mapped(stored)
        fields = self.values.picked(state, self.eager.get(kind, ()))
        if stream is None:
            stream = _hex(stored.originator_id)
        return Change(
            kind, stream, stored.originator_version, fields, state, self.values
        )

    def _mapped(self, stored: Stored) -> Change:
        """Through the mapper (upcast, or another transcoder): every field decoded."""
        event = self.mapper.to_domain_event(
            StoredEvent(
                originator_id=stored.originator_id,
                originator_version=stored.originator_version,
                topic=stored.topic,
                state=stored.state,
            )
        )
        fields = {k: v for k, v in vars(event).items() if k not in OWN}
        return Change(
            type(event),
            event.originator_id.hex,
            event.originator_version,
            fields,
            {},
            None,
        )

    def _plain(self, data: bytes) -> bytes:
        """The stored bytes deciphered and decompressed, as the mapper does first."""
        if self.mapper.cipher:
            data = self.mapper.cipher.decrypt(data)
        if self.mapper.compressor:
            data = self.mapper.compressor.decompress(data)
        return data


def _library_json(transcoder: object) -> JSONTranscoder | None:
    """The transcoder if it decodes as the library's JSONTranscoder does (a subclass may
    write faster, as casereview's does, but must read the same), else None."""
    if not isinstance(transcoder, JSONTranscoder):
        return None
    kind = type(transcoder)
    same = (
        kind.decode is JSONTranscoder.decode
        and kind._decode_obj is JSONTranscoder._decode_obj
    )
    return transcoder if same else None


def _hex(originator_id: Any) -> str:
    hex_: str = originator_id.hex
    return hex_
