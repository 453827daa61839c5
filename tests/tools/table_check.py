#!/usr/bin/env python3
"""table_check.py API_JSON CSV QUERY: the office's records table (chosen
and sorted from the hub's kept facts) is what the CSV export (a walk of
the store with the same filters) gives, sorted and paged as the table
says it does (daemon/hub/office_records.c): by the sort field's text
then the id, bytewise, desc reversing it, page and limit slicing it.
Exit 0 if so; 1 naming the difference."""
import csv
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


ids = [r[0] for r in (sorted(body, key=key) if sort else body)]
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
