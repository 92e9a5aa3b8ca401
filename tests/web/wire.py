"""The framing of Connect streams and gRPC-Web, written out as a browser's client library does it:
a flag byte, a 4-byte big-endian length, the message. Tests speak it over plain HTTP/1.1."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

END_STREAM = 0x02  # Connect: the last frame, a JSON object with an optional error
TRAILERS = 0x80  # gRPC-Web: the last frame, HTTP-style trailer lines (grpc-status, grpc-message)


def envelope(payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(payload)) + payload


def frames(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(flags, payload) of each frame in a body that arrives in chunks of any size."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= 5:
            flags, length = struct.unpack(">BI", buffer[:5])
            if len(buffer) < 5 + length:
                break
            yield flags, buffer[5 : 5 + length]
            buffer = buffer[5 + length :]


def trailers(payload: bytes) -> dict[str, str]:
    """gRPC-Web trailer lines as a dict with lower-case keys."""
    lines = payload.decode().strip().split("\r\n")
    return {key.strip().lower(): value.strip() for key, _, value in (line.partition(":") for line in lines)}
