"""The event transcoder: the library's JSON format, written without its generic walk.

`JSONTranscoder.encode` hands every date, person and other registered value of an event to a
Python `default` hook from inside the C encoder, which costs more than the rest of storing the
event. An event's state is a flat dict of plain values and registered values, so this
transcoder writes each value's JSON text itself (registered values as the same
`{"_type_": name, "_data_": ...}` object) and joins them: byte for byte what `JSONTranscoder`
writes, in the same key order (tests/unit/test_transcoder.py checks it over generated events).
Anything else (a float, a tuple, a key that is not a string, a type it does not know) goes to
`JSONTranscoder.encode` whole. Decoding is the library's.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring  # the C escaper the library's encoder uses
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

IDENTITY_CACHE = 4096
"""Registered values of frozen dataclasses written as JSON objects (a person) are remembered by
identity, since the same person object is the complainant of every complaint of a case; cleared
when full."""


class _Unplain(Exception):
    """A value the fast path does not write; the whole state goes the library's way."""


class FastJSONTranscoder(JSONTranscoder):
    def __init__(self) -> None:
        super().__init__()
        self._templates: dict[tuple[Any, ...], str] = {}
        self._seen: dict[int, tuple[object, str]] = {}
        self._writers: dict[type, Callable[[Any], str]] = {
            str: encode_basestring,
            bool: {True: "true", False: "false"}.__getitem__,
            int: int.__repr__,
            type(None): {None: "null"}.__getitem__,
            dict: self._object,
            list: self._array,
        }

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._writers[transcoding.type] = self._registered(transcoding)

    def _registered(self, transcoding: Transcoding) -> Callable[[Any], str]:
        head = '{"_type_":' + encode_basestring(transcoding.name) + ',"_data_":'
        encode, seen = transcoding.encode, self._seen
        params = getattr(transcoding.type, "__dataclass_params__", None)
        immutable = params is not None and params.frozen

        def write(value: Any) -> str:
            known = seen.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            data = encode(value)
            if type(data) is str:
                return head + encode_basestring(data) + "}"
            text = head + self._value(data) + "}"
            if not immutable:
                return text
            if len(seen) >= IDENTITY_CACHE:
                seen.clear()
            seen[id(value)] = (value, text)
            return text

        return write

    def encode(self, obj: Any) -> bytes:
        if type(obj) is not dict:
            return super().encode(obj)
        try:
            return self._object(obj).encode("utf8")
        except _Unplain:
            return super().encode(obj)

    def _value(self, value: Any) -> str:
        writer = self._writers.get(type(value))
        if writer is None:
            raise _Unplain
        return writer(value)

    def write_value(self, value: Any) -> str:
        """One value's JSON text as `encode` writes it inside a state (ValueError if only
        the library's path can write it)."""
        try:
            return self._value(value)
        except _Unplain:
            raise ValueError(f"no fast JSON for {type(value).__name__}") from None

    def transcoding_name(self, kind: type) -> str:
        return self.types[kind].name

    def _object(self, state: dict[Any, Any]) -> str:
        # Events of one class have the same keys in the same order: one template per key
        # sequence, filled with the values' texts.
        keys = tuple(state)
        template = self._templates.get(keys)
        if template is None:
            if any(type(key) is not str for key in keys):
                raise _Unplain
            if len(self._templates) >= IDENTITY_CACHE:
                self._templates.clear()
            template = self._templates[keys] = (
                "{"
                + ",".join(
                    encode_basestring(k).replace("%", "%%") + ":%s" for k in keys
                )
                + "}"
            )
        writers = self._writers
        try:
            return template % tuple([writers[type(v)](v) for v in state.values()])
        except KeyError:
            raise _Unplain from None

    def _array(self, items: list[Any]) -> str:
        return "[" + ",".join([self._value(item) for item in items]) + "]"
