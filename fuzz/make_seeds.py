#!/usr/bin/env python3
"""Writes the seed corpus (corpus/<target>/seed-*) from the golden regions
in testdata/hobbes/shm: the regions themselves, their meta blocks,
their statement type descriptions, and one value of each statement."""

import hashlib
import json
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
SHM = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "testdata/hobbes/shm"


def write(target, name, data):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


types = {}
values = {}
for shm in sorted(SHM.glob("*.shm")):
    stem = shm.stem
    region = shm.read_bytes()
    assert len(region) < 200_000, shm
    write("region", stem, region)
    metasz = struct.unpack_from("<Q", region, 24)[0]
    write("meta", stem, region[32 : 32 + metasz])
    golden = json.loads(shm.with_suffix(".json").read_text())
    by_name = {}
    for s in golden["meta"]["statements"]:
        desc = bytes.fromhex(s["type_hex"])
        by_name[s["name"]] = desc
        types.setdefault(desc, f"{stem}-{s['name']}")
    for t in golden.get("transactions", []):
        for r in t["records"]:
            desc = by_name[r["stmt"]]
            value = bytes.fromhex(r["hex"])
            key = (desc, len(value) > 64)
            if key not in values:
                # A selector past the fixed types, the description, the value.
                values[key] = (f"{stem}-{r['stmt']}", b"\xff" + desc + value)

for desc, name in types.items():
    write("type_description", name, desc)
for name, data in values.values():
    write("value", name, data)
# One value for each fixed type of the value target (selector byte first).
fixed = [
    struct.pack("<i", 42),
    struct.pack("<Q", 2) + b"hi",
    struct.pack("<QQ", 2, 1) + b"a" + struct.pack("<Q", 2) + b"bc",
    struct.pack("<i3iQ", 7, 1, 2, 3, 1) + b"x" + struct.pack("<QiiI", 1, 4, 5, 0) + struct.pack("<d", 1.5),
    struct.pack("<IQ", 1, 3) + b"xyz",
    b"\x01",
    struct.pack("<Q", 3),
    struct.pack("<4h", 1, -2, 3, -4),
    struct.pack("<QQi", 1, 1, 9),
    struct.pack("<q", 1_700_000_000_000_000),
    struct.pack("<Q", 2) + b"\x01\x00",
    struct.pack("<Q", 1) + b"a" + struct.pack("<Q", 0) + struct.pack("<Q", 2) + b"bc",
    b"\x07" + struct.pack("<q", -1) + (5).to_bytes(16, "little", signed=True) + struct.pack("<f", 0.5),
]
for i, v in enumerate(fixed):
    write("value", f"fixed-{i:02}", bytes([i]) + v)

# cseq_batch: a batch header at offset 0 (initial model right after it,
# all zero: every symbol is escaped, so any bits decode), the model, one
# segment of pseudo-random bits. Model sizes of the target's types, in its
# order (a leaf of S symbols is 8S+4 bytes; a k-byte scalar has k leaves).
LEAF = 8 * 256 + 4
model_sizes = [LEAF, 4 * LEAF, LEAF, 4, 9 * LEAF, 13 * LEAF, 28,
               28 + 8 * LEAF + 9 * LEAF + 18 * LEAF, 16 * LEAF, 8 * LEAF + 4]
for pick, size in enumerate(model_sizes):
    head = (48 + size + 7) // 8 * 8
    bits = hashlib.sha256(bytes([pick])).digest() * 128
    header = struct.pack("<QQIIIIQQ", 48, 48, 0, 0xFFFF, 0, 3000, 40, head)
    seed = header + bytes(head - 48) + bits[:4088] + struct.pack("<Q", 0)
    write("cseq_batch", f"type-{pick}", bytes([pick]) + seed)
print({t: len(list((HERE / "corpus" / t).glob("seed-*"))) for t in ["region", "meta", "type_description", "value", "cseq_batch"]})
