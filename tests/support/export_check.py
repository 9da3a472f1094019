"""Checks a `hog export` directory against `hog cat` output, value for value.

usage: export_check.py DIR CAT_JSONL

CAT_JSONL is what `hog cat FILE` printed: log entries
(`{"ctor", "tag", "value"}`), transactions (`{"time", "entries"}`) or
tagged series values (`{"series", "value"}`). Every `.parquet` file in DIR
is read twice, with pyarrow and with DuckDB, every `.arrow` file with
pyarrow's IPC reader; each row is turned back into hog cat's JSON
conventions and compared with the records of its statement, in order,
together with its ordering columns. Prints a JSON summary; exits 1 on the
first difference.
"""

import datetime
import json
import math
import pathlib
import sys

import duckdb
import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
ORDER_COLUMNS = ("_seq", "_txn", "_txn_time")


def expected_rows(lines):
    """Statement name -> [(seq, txn, txn_time, value)] from hog cat output."""
    rows = {}
    seq = 0
    per_series = {}
    for n, line in enumerate(lines):
        if "entries" in line:
            for entry in line["entries"] or []:
                rows.setdefault(entry["ctor"], []).append(
                    (seq, n, line["time"], entry["value"]))
                seq += 1
        elif "series" in line:
            name = line["series"]
            i = per_series.get(name, 0)
            per_series[name] = i + 1
            rows.setdefault(name, []).append((i, None, None, line["value"]))
        else:
            rows.setdefault(line["ctor"], []).append(
                (n, None, None, line["value"]))
    return rows


def micros(v):
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(microseconds=1)
    if isinstance(v, datetime.timedelta):
        return v // datetime.timedelta(microseconds=1)
    return v


def as_json(v, field):
    """A value read from a column of `field`, in hog cat's conventions."""
    if v is None:
        return None
    t = field.type
    if pa.types.is_timestamp(t) or pa.types.is_duration(t):
        return micros(v)
    if pa.types.is_decimal(t):
        return str(int(v))
    if pa.types.is_floating(t):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return float(v)
    if pa.types.is_list(t) or pa.types.is_fixed_size_list(t):
        return [as_json(x, t.value_field) for x in v]
    if pa.types.is_struct(t):
        fields = [t.field(i) for i in range(t.num_fields)]
        if (field.metadata or {}).get(b"hog.variant") == b"true":
            return variant(v, fields)
        return {f.name: as_json(v[f.name], f) for f in fields}
    return v


def variant(v, fields):
    payload = next((f for f in fields[2:] if f.name == v["ctor"]), None)
    value = None if payload is None else as_json(v[payload.name], payload)
    return {"ctor": v["ctor"], "tag": v["tag"], "value": value}


def row_json(row, schema):
    """(seq, txn, txn_time, value) of a row given as {column: value}."""
    shape = schema.metadata[b"hog.shape"].decode()
    fields = [f for f in schema if f.name not in ORDER_COLUMNS]
    if shape == "record":
        value = {f.name: as_json(row[f.name], f) for f in fields}
    elif shape == "variant":
        value = variant(row, fields)
    else:
        value = as_json(row["value"], fields[0])
    txn_time = row.get("_txn_time")
    return (row["_seq"], row.get("_txn"),
            None if txn_time is None else micros(txn_time), value)


def read_pyarrow(path):
    if path.suffix == ".arrow":
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    else:
        table = pq.read_table(path)
    return table.schema, table.to_pylist()


def read_duckdb(path, schema):
    con = duckdb.connect()
    cur = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
    names = [d[0] for d in cur.description]
    assert names == schema.names, (names, schema.names)
    return [dict(zip(names, r)) for r in cur.fetchall()]


def main():
    out, cat = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    lines = [json.loads(x) for x in cat.read_text().splitlines() if x]
    expected = expected_rows(lines)
    files = sorted(p for p in out.iterdir() if p.suffix in (".parquet", ".arrow"))
    names = {p.stem for p in files}
    missing = set(expected) - names
    if missing:
        sys.exit(f"no output for statements {sorted(missing)}")
    summary = {"tables": 0, "rows": 0, "readers": []}
    for path in files:
        schema, rows = read_pyarrow(path)
        readers = [("pyarrow", rows)]
        if path.suffix == ".parquet":
            readers.append(("duckdb", read_duckdb(path, schema)))
        want = [tuple(json.dumps(x) for x in r) for r in expected.get(path.stem, [])]
        for reader, rows in readers:
            got = [tuple(json.dumps(x) for x in row_json(r, schema)) for r in rows]
            if got != want:
                first = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w),
                             min(len(got), len(want)))
                sys.exit(f"{path.name} ({reader}): {len(got)} rows, {len(want)} "
                         f"expected; first difference at row {first}: "
                         f"{got[first:first + 1]} != {want[first:first + 1]}")
            if reader not in summary["readers"]:
                summary["readers"].append(reader)
        summary["tables"] += 1
        summary["rows"] += len(want)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
