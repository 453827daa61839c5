#!/usr/bin/env python3
"""cli_random.py SAMBANG STORE STEPS SEED: random sambang commands on one store.

Each step runs a command built at random from the CLI's grammar (the
domain commands, put, rm, resolve, import, list, status, recover, ...)
with values drawn from the store's own ids and from a pool of awkward ones
(empty, too long, control characters, right-to-left overrides, bad dates,
bad JSON, options where values go). After each step:

  - the exit code is one the CLI documents (0 to 7);
  - no sanitizer reported anything on stderr;
  - a command that failed printed a message and left `export` as it was.

A failure prints the step, the command and the seed; the same seed replays
the same commands (the ids differ: they are new UUIDs each run, and so may
the choices that depend on them).
"""
import os
import random
import subprocess
import sys

SAMBANG, STORE, STEPS, SEED = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(SEED)
env = dict(os.environ, SAMBANG_DB=STORE, LANG="C.UTF-8")
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
ids = []


def run(args, stdin=None):
    p = subprocess.run([SAMBANG] + args, env=env, capture_output=True, input=stdin,
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


def main():
    rc, _, err = run(["init"])
    if rc != 0:
        sys.exit("init failed: " + err)
    for step in range(1, STEPS + 1):
        args = command()
        stdin = rng.choice(IMPORT) if args[-2:] == ["import", "-"] else None
        _, before, _ = run(["export"])
        rc, out, err = run(args, stdin)
        _, after, _ = run(["export"])
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
            sys.exit("FAIL (seed %d, step %d): %s: sambang %r exited %d\n%s" %
                     (SEED, step, why, args, rc, err[:2000]))
        if rc == 0 and (args[0] == "put" or args[1:2] == ["add"]):
            ids.append(out.strip().splitlines()[-1])
    print("ok: %d random commands (seed %d)" % (STEPS, SEED))


main()
