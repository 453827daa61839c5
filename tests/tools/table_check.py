#!/usr/bin/env python3
"""table_check.py API_JSON CSV QUERY: the office's records table (chosen
and sorted from the hub's kept facts) is what the CSV export (a walk of
the store with the same filters) gives, sorted and paged as the table
says it does (daemon/hub/office_records.c): by the sort field's text
then the id, in natural_cmp's order, desc reversing it, page and limit
slicing it.
Exit 0 if so; 1 naming the difference."""
import csv
import functools
import json
import sys
import urllib.parse

api = json.load(open(sys.argv[1], encoding="utf-8"))
with open(sys.argv[2], encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
q = dict(urllib.parse.parse_qsl(sys.argv[3]))
header, body = rows[0], rows[1:]
sort = q.get("sort")
col = header.index(sort) if sort in header else None


def key(row):
    value = row[col] if col is not None else ""
    return (value + "\x01" + row[0]).encode("utf-8")


DIGITS = b"0123456789"


def fold(c):
    return c + 32 if 65 <= c <= 90 else c


def natural_cmp(a, b):
    """office_records.c's natural_cmp: ASCII letters without case, a run of
    digits by its number, other bytes as they are; ties by the bytes."""
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] in DIGITS and b[j] in DIGITS:
            while a[i] == 0x30 and i + 1 < len(a) and a[i + 1] in DIGITS:
                i += 1
            while b[j] == 0x30 and j + 1 < len(b) and b[j + 1] in DIGITS:
                j += 1
            ie, je = i, j
            while ie < len(a) and a[ie] in DIGITS:
                ie += 1
            while je < len(b) and b[je] in DIGITS:
                je += 1
            if ie - i != je - j:
                return -1 if ie - i < je - j else 1
            if a[i:ie] != b[j:je]:
                return -1 if a[i:ie] < b[j:je] else 1
            i, j = ie, je
        elif fold(a[i]) != fold(b[j]):
            return fold(a[i]) - fold(b[j])
        else:
            i += 1
            j += 1
    if (i < len(a)) != (j < len(b)):
        return -1 if i == len(a) else 1
    return (a > b) - (a < b)


order = functools.cmp_to_key(lambda x, y: natural_cmp(key(x), key(y)))
ids = [r[0] for r in (sorted(body, key=order) if sort else body)]
if q.get("desc") == "1":
    ids.reverse()
limit = int(q.get("limit", "50"))
start = (int(q.get("page", "1")) - 1) * limit
want = ids[start:start + limit]
got = [r["id"] for r in api["rows"]]
if api["total"] != len(ids) or got != want:
    print("table: total %d, %s; CSV: total %d, %s"
          % (api["total"], got, len(ids), want))
    sys.exit(1)
