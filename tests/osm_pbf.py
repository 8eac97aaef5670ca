"""A minimal OpenStreetMap PBF writer, for tests: nodes and tagged ways.

The format (https://wiki.openstreetmap.org/wiki/PBF_Format): a sequence of
blobs, each a 4-byte big-endian length, a ``BlobHeader`` and a zlib-compressed
``Blob``; the first blob holds an ``OSMHeader``, the next an ``OSMData``
``PrimitiveBlock`` with a string table, a group of plain nodes and a group of
ways. Protocol buffers are encoded by hand (varints, zigzag, packed fields).
"""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _int(field: int, n: int) -> bytes:
    return _key(field, 0) + _varint(n)


def _bytes(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def _packed(field: int, values: Iterable[int]) -> bytes:
    return _bytes(field, b"".join(_varint(v) for v in values))


def _blob(kind: str, message: bytes) -> bytes:
    blob = _int(2, len(message)) + _bytes(3, zlib.compress(message))
    header = _bytes(1, kind.encode()) + _int(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def write_pbf(
    nodes: Mapping[tuple[float, float], int],
    ways: Sequence[tuple[Sequence[int], Mapping[str, str]]],
    path: Path,
) -> None:
    """
    Write nodes ``{(lon, lat): id}`` and ways ``[(node ids, tags)]`` as a PBF.

    Ways are numbered from 100.
    """
    strings = [""]
    index: dict[str, int] = {"": 0}

    def sid(s: str) -> int:
        if s not in index:
            index[s] = len(strings)
            strings.append(s)
        return index[s]

    node_msgs = b"".join(
        _bytes(
            1,
            _int(1, _zigzag(i))
            + _int(8, _zigzag(round(lat * 1e7)))
            + _int(9, _zigzag(round(lon * 1e7))),
        )
        for (lon, lat), i in sorted(nodes.items(), key=lambda kv: kv[1])
    )
    way_msgs = b""
    for w, (refs, tags) in enumerate(ways, start=100):
        deltas = [refs[0]] + [b - a for a, b in itertools.pairwise(refs)]
        way_msgs += _bytes(
            3,
            _int(1, w)
            + _packed(2, [sid(k) for k in tags])
            + _packed(3, [sid(v) for v in tags.values()])
            + _packed(8, [_zigzag(d) for d in deltas]),
        )
    table = b"".join(_bytes(1, s.encode()) for s in strings)
    block = _bytes(1, table) + _bytes(2, node_msgs) + _bytes(2, way_msgs)
    header = _bytes(4, b"OsmSchema-V0.6")
    path.write_bytes(_blob("OSMHeader", header) + _blob("OSMData", block))
