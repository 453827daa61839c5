#!/usr/bin/env python3
"""random_commands.py sambang|hub BINARY STORE STEPS SEED: random commands
of the sambang CLI or of sambang-hub on one store.

Each step runs a command built at random from the program's grammar (for
sambang: the domain commands, put, rm, resolve, import, list, status,
recover...; for sambang-hub: device, user, export --csv and its filters,
purge, conflicts, check, compact...) with values drawn from what the store
holds and from a pool of awkward ones (empty, too long, control
characters, right-to-left overrides, bad dates, bad JSON, options where
values go). After each step:

  - the exit code is one the program documents (0 to 7);
  - no sanitizer reported anything on stderr;
  - a command that failed printed a message and left the store as it was
    (sambang: `export`; sambang-hub: `export`, `device list`, `user list`).

A failure prints the step, the command and the seed; the same seed replays
the same commands (the ids differ: they are new UUIDs each run, and so may
the choices that depend on them).
"""
import os
import random
import subprocess
import sys

MODE, BINARY, STORE = sys.argv[1], sys.argv[2], sys.argv[3]
STEPS, SEED = int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(SEED)
env = dict(os.environ, SAMBANG_DB=STORE, SAMBANG_HUB_DB=STORE, LANG="C.UTF-8")
env.pop("SAMBANGD_CONFIG", None)

WEIRD = ["", "-", "--", "=", "x" * 300, "\u00e9", "\u202e", "a\tb", "null", "true", "1e999",
         "-1", "0", "2026-02-30", "2026-12-01", "today", "kemarin", "31/12/2026", "Setu",
         "setu", "anak", "anak,anak", "perempuan,miskin", "yes", "no", "ya", "tidak", "{}",
         "[]", '{"x":1}', '{"name":"A"}', '"str"', "new", "skills-cooking", "--json", "--db",
         "--limit", "5", "-5", "99999999999999999999"]
BENEFICIARY = ["--name", "--group", "--kecamatan", "--kelurahan", "--contact", "--consent",
               "--limit", "--month", "--bogus"]
VISIT = ["--beneficiary", "--date", "--programme", "--outcome", "--notes", "--follow-up",
         "--willing", "--limit", "--month", "--kecamatan", "--group"]
PUT = ['{"kecamatan":"Setu","groups":["anak"],"consent":true}', '{"name":"Z","consent":false}',
       '{"notes":null}', '{"consent":true,"name":"B","groups":["miskin"],"kecamatan":"Setu"}']
IMPORT = [b'{"collection":"beneficiary","id":"new","fields":{"kecamatan":"Setu",'
          b'"groups":["anak"],"consent":true}}\n', b"not json\n",
          b'{"collection":"visit","id":"v","fields":{}}\n', b"\xff\n", b""]
ids = []  # sambang: record ids made so far; sambang-hub: device and user names


def run(args, stdin=None):
    p = subprocess.run([BINARY] + args, env=env, capture_output=True, input=stdin,
                       timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def value():
    r = rng.random()
    if r < 0.3 and ids:
        return rng.choice(ids)
    if r < 0.4 and ids:
        return rng.choice(ids)[:rng.randint(1, 12)]  # a prefix, as people type
    return rng.choice(WEIRD)


def command():
    """A sambang command line."""
    c = rng.random()
    coll = rng.choice(["beneficiary", "visit"])
    if c < 0.45:
        sub = rng.choice(["add", "add", "edit", "list", "show", "rm"])
        args = [coll, sub] + ([value()] if sub in ("edit", "show", "rm") else [])
        for _ in range(rng.randint(0, 7)):
            args.append(rng.choice(BENEFICIARY if coll == "beneficiary" else VISIT))
            if rng.random() < 0.9:
                args.append(value())
        return args
    if c < 0.6:
        return ["put", rng.choice([coll, "notes", "", "x y"]), value(), rng.choice(PUT + [value()])]
    if c < 0.7:
        return ["rm", coll, value()]
    if c < 0.78:
        return (["resolve", coll, value(), rng.choice(["name", "kelurahan", "x"]), value()] +
                rng.choice([[], ["--pick", value()], ["--json-value", value()]]))
    if c < 0.85:
        return ([rng.choice(["get", "list", "export", "conflicts", "status", "check"])] +
                [value() for _ in range(rng.randint(0, 2))])
    if c < 0.9:
        return ["--json"] + command()
    if c < 0.95:
        return ["import", "-"]
    return ([rng.choice(["sync", "token", "help", "recover", "bogus"])] +
            [value() for _ in range(rng.randint(0, 2))])


HUB_WEIRD = ["", "-", "--", "all", "Setu", "setu", "Setu,Setu", "Setu,Pamulang", "Nowhere",
             "a b", "x" * 70, "\u00e9", "0", "-1", "36501", "7", "abc", "beneficiary", "visit",
             "notes", "--help", "--personal", "2026-01-01", "2026-13-01", "admin", "viewer",
             "reviewer", "boss", "/nonexistent/x", "postgresql://127.0.0.1:1/x", "--set",
             "--scope", "--role"]
CSV_FILTERS = ["--kecamatan", "--group", "--programme", "--from", "--to", "--search",
               "--conflict", "--review", "--personal", "--bogus"]
PASSWORDS = [b"password-123\n", b"", b"short\n", b"\xff\xfe long-enough-pw\n"]


def hub_value():
    return rng.choice(ids) if ids and rng.random() < 0.35 else rng.choice(HUB_WEIRD)


def hub_command():
    """A sambang-hub command line (with the store from the environment)."""
    c = rng.random()
    v = hub_value
    if c < 0.3:
        sub = rng.choice(["add", "list", "scope", "rotate", "revoke", "frob", ""])
        args = ["device"] + ([sub] if sub else [])
        if sub in ("add", "scope", "rotate", "revoke"):
            args.append(v())
        if sub == "add" and rng.random() < 0.8:
            args += ["--scope", v()]
        if sub == "scope" and rng.random() < 0.8:
            args += ["--set", v()]
        return args
    if c < 0.5:
        sub = rng.choice(["add", "list", "remove", "passwd", "frob"])
        args = ["user", sub] + ([] if sub == "list" else [v()])
        if sub == "add" and rng.random() < 0.8:
            args += ["--role", v()]
        return args
    if c < 0.65:
        args = ["export"]
        if rng.random() < 0.7:
            args += ["--csv", v()]
            for _ in range(rng.randint(0, 3)):
                args.append(rng.choice(CSV_FILTERS))
                if rng.random() < 0.8:
                    args.append(v())
        return args
    if c < 0.75:
        return ["purge"] + rng.choice([[], ["--older-than", v()], [v()]])
    return ([rng.choice(["conflicts", "check", "compact", "restored", "held", "init",
                         "migrate", "bogus", "--version"])] +
            [v() for _ in range(rng.randint(0, 2))])


def snapshot():
    if MODE == "sambang":
        return run(["export"])[1]
    return tuple(run(args)[1] for args in (["export"], ["device", "list"], ["user", "list"]))


def main():
    rc, _, err = run(["init"])
    if rc != 0:
        sys.exit("init failed: " + err)
    # Each step's "after" is the next step's "before": nothing else writes
    # the store between two steps.
    after = snapshot()
    for step in range(1, STEPS + 1):
        if MODE == "sambang":
            args = command()
            stdin = rng.choice(IMPORT) if args[-2:] == ["import", "-"] else None
        else:
            args = hub_command()
            stdin = rng.choice(PASSWORDS) if args[0] == "user" else None
        before = after
        rc, out, err = run(args, stdin)
        after = snapshot()
        why = None
        if "Sanitizer" in err or "runtime error" in err:
            why = "a sanitizer report"
        elif rc not in range(0, 8):
            why = "exit %d is not a documented code" % rc
        elif rc != 0 and not err.strip():
            why = "a failure without a message"
        elif rc != 0 and before != after and args[0] != "sync":
            why = "a refused command changed the store"
        if why:
            sys.exit("FAIL (seed %d, step %d): %s: %s %r exited %d\n%s" %
                     (SEED, step, why, os.path.basename(BINARY), args, rc, err[:2000]))
        if rc == 0 and MODE == "sambang" and (args[0] == "put" or args[1:2] == ["add"]):
            ids.append(out.strip().splitlines()[-1])
        if rc == 0 and MODE == "hub" and args[1:2] == ["add"]:
            ids.append(args[2])
    print("ok: %d random %s commands (seed %d)" % (STEPS, os.path.basename(BINARY), SEED))


main()
