#!/usr/bin/env python3
"""scope_check.py - checks a scoped device against the hub (issue 12's
random-history privacy test, tests/sync/test_scope_random.sh).

usage: scope_check.py SCOPE HUB_EXPORT DEVICE_EXPORT REFUSED [WIRE_FILE...]

SCOPE is the device's scope ("all" or "A,B"); the exports are `export`
JSON Lines; REFUSED lists COLLECTION/ID the hub refused (kept on the
device, marked: exempt from the store checks); each WIRE_FILE holds the bytes the hub sent the device on one
connection (faultproxy --record), HTTP responses one after the other,
gzip or not. Checks, printing each failure and exiting 1 on any:
  - every record state in a changes page sent to the device is in its
    scope (a beneficiary by its own kecamatan; a visit by its beneficiary's
    kecamatan at the hub);
  - the device's store holds exactly the hub's records in its scope, each
    line identical to the hub's (converged).
"""
import gzip
import json
import sys


def fields_of(state):
    """A state's fields, its compact form's "values" spelled out (the wire
    carries that form: proto/PROTOCOL.md, "The compact form")."""
    fields = dict(state.get("fields", {}))
    at = state.get("at")
    for name, value in state.get("values", {}).items():
        fields[name] = [{"dot": at[:2], "ts": at[2], "value": value}]
    return fields


def kec_of(state):
    return {e["value"] for e in fields_of(state).get("kecamatan", [])}


def parts_of(state, hub):
    """The kecamatan a record is in, by the schema's scope rule."""
    if state.get("deleted"):
        return set()
    if state["collection"] == "beneficiary":
        return kec_of(state)
    if state["collection"] == "visit":
        parts = set()
        for e in fields_of(state).get("beneficiary", []):
            b = hub.get(("beneficiary", e["value"]))
            if b is not None:
                parts |= parts_of(b, hub)
        return parts
    return None  # unscoped: in every scope


def in_scope(parts, scope):
    return scope is None or parts is None or bool(parts & scope)


def bodies(raw):
    """The bodies of the HTTP responses in raw."""
    out = []
    while raw:
        head_end = raw.find(b"\r\n\r\n")
        if head_end < 0:
            break
        head = raw[:head_end].decode("latin-1").split("\r\n")
        fields = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        length = int(fields.get("content-length", "0"))
        body = raw[head_end + 4:head_end + 4 + length]
        raw = raw[head_end + 4 + length:]
        if fields.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        out.append(body)
    return out


def main():
    scope_text, hub_path, dev_path, refused_path = sys.argv[1:5]
    refused = {tuple(l.split("/", 1)) for l in
               open(refused_path, encoding="utf-8").read().splitlines() if l}
    scope = None if scope_text == "all" else set(scope_text.split(","))
    hub_lines = [l for l in open(hub_path, encoding="utf-8").read().splitlines() if l]
    hub = {}
    for l in hub_lines:
        s = json.loads(l)
        hub[(s["collection"], s["id"])] = s
    bad = []
    pages = 0
    for path in sys.argv[5:]:
        for body in bodies(open(path, "rb").read()):
            if not body.startswith(b'{"changes"'):
                continue
            pages += 1
            page = json.loads(body)
            for c in page["changes"]:
                if "record" not in c:
                    continue
                r = c["record"]
                if not in_scope(parts_of(r, hub), scope):
                    bad.append("wire: %s/%s (%s) sent outside scope %s" % (
                        r["collection"], r["id"], sorted(parts_of(r, hub)), scope_text))
    want = sorted(l for l in hub_lines
                  if in_scope(parts_of(json.loads(l), hub), scope))
    got = sorted(l for l in open(dev_path, encoding="utf-8").read().splitlines()
                 if l and (json.loads(l)["collection"], json.loads(l)["id"]) not in refused)
    for l in got:
        s = json.loads(l)
        if not in_scope(parts_of(hub.get((s["collection"], s["id"]), s), hub), scope):
            bad.append("store: holds %s/%s outside scope %s" % (s["collection"], s["id"], scope_text))
    if want != got:
        w = {(json.loads(l)["collection"], json.loads(l)["id"]): l for l in want}
        g = {(json.loads(l)["collection"], json.loads(l)["id"]): l for l in got}
        for k in sorted(set(w) | set(g)):
            if k not in g:
                bad.append("store: lacks %s/%s" % k)
            elif k not in w:
                pass  # reported above if out of scope
            elif w[k] != g[k]:
                bad.append("store: %s/%s differs from the hub" % k)
    for b in bad:
        print(b)
    print("checked %d pages, %d records held" % (pages, len(got)), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
