#!/usr/bin/env python3
"""Writes the seed corpus of rpc_handlers_fuzz (tests/fuzz/corpus/rpc): one valid request per
RPC, from the caller allowed to make it, hand-encoded in protobuf's wire format (standard
library only). Run from anywhere; rewrites the directory."""
import hashlib
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "rpc")
CALLERS = ["agent-police", "analyzer", "auditor", "analyst", "officer-police"]


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number, value):
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint((number << 3) | 2) + varint(len(value)) + value


def record(rid, day, digest, person=True):
    r = field(1, rid) + field(2, day) + field(3, field(1, 1) + field(2, digest))
    r += field(5, field(1, "misdrijf"))
    if person:
        r += field(6, field(1, "m") + field(2, 1990))
    return r


def upload(client_id, records):
    digest = hashlib.sha256(b"".join(records)).hexdigest()
    header = field(1, client_id) + field(2, 2) + field(3, "0123456789abcdef0123456789abcdef") + \
        field(4, len(records)) + field(5, digest)
    messages = [field(1, header), field(2, b"".join(field(1, r) for r in records))]
    return b"".join(struct.pack(">H", len(m)) + m for m in messages)


def seed(name, rpc, caller, body):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([rpc, CALLERS.index(caller)]) + body)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    recs = [record("BVH%d" % i, 15000 + i, bytes([65 + i % 3]) * 16) for i in range(5)]
    seed("upload", 0, "agent-police", upload("seed-1", recs))
    seed("upload-bad-digest", 0, "agent-police", upload("seed-2", recs)[:-3])
    seed("list", 1, "auditor", b"")
    seed("withdraw", 2, "agent-police", field(1, "X0123456789abcdef"))
    seed("link", 3, "auditor", b"")
    seed("linkage-report", 4, "analyzer", b"")
    seed("links", 5, "auditor", b"")
    seed("cohort", 6, "analyzer", b"")
    seed("pool", 7, "analyzer", b"")
    seed("audit-entries", 8, "auditor", field(1, 1) + field(2, 10))
    seed("audit-consistency", 9, "auditor", field(1, 1) + field(2, 1))
    seed("record-audit", 10, "analyzer", field(1, "report_released") + field(2, '{"n":1}'))
    seed("released", 11, "analyzer", b"")
    seed("add-released", 12, "analyzer",
         field(1, field(1, "S0000000000000001") + field(1, "S0000000000000002") + field(2, "cohort")))
    seed("analyze", 14, "analyst",
         field(1, '[cohort]\nkaders = ["jeugd"]\n[comparison]\nk = 2\nbootstrap_replicates = 100\n'))
    seed("denied", 3, "officer-police", b"")


if __name__ == "__main__":
    main()
