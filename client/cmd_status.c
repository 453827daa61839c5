/*
 * cmd_status.c - what this replica holds: its id, the store, records per
 * collection, changes not pushed yet, open conflicts, records needing
 * review (merged values that break a rule of the schema: schema_review).
 *
 * One walk over the records gives every count: they come in (collection,
 * id) order; unsynced changes are the rows still marked pending (not yet
 * acknowledged by the hub) and rejected ones those the hub refused.
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"
#include "disk_room.h"
#include "hlc.h"
#include "sync.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

/* Off from the hub's clock by more than this: status warns. */
#define STATUS_CLOCK_WARN_MS (60 * 1000)

struct coll_count {
  char name[SB_NAME_MAX + 1];
  uint64_t records, deleted, conflicts;
};

/* Under this much room on the store's disk status says so: a pull of
 * 10,000 visits needs about 20 MB (the rows, then their WAL frames). */
#define DISK_LOW_BYTES (50u * 1000u * 1000u)

struct status {
  struct coll_count *c;
  size_t n, cap;
  uint64_t unsynced, rejected, conflicts, review;
  uint64_t not_merged; /* of rejected: pulled states not merged here */
  uint64_t unreadable; /* rows whose state does not decode (check names them) */
  uint64_t disk_avail; /* room left on the store's disk, if low (else 0) */
  bool disk_low;
  const struct schema *schema; /* NULL: no review count */
};

/* The entry of collection name (added at the end if new). */
static struct coll_count *status_coll(struct status *st, const char *name)
{
  size_t i;
  for (i = st->n; i > 0; i--) {
    if (strcmp(st->c[i - 1].name, name) == 0)
      return &st->c[i - 1];
  }
  {
    struct coll_count *c = array_grow(st->c, &st->cap, st->n, sizeof(*c), 8);
    if (c == NULL)
      return NULL;
    st->c = c;
  }
  memset(&st->c[st->n], 0, sizeof(st->c[st->n]));
  snprintf(st->c[st->n].name, sizeof(st->c[st->n].name), "%s", name);
  return &st->c[st->n++];
}

static int status_one(const struct record *r, struct status *st)
{
  struct coll_count *c = status_coll(st, r->collection);
  if (c == NULL)
    return SB_ENOMEM;
  if (record_deleted(r)) {
    c->deleted++;
  } else {
    c->records++;
  }
  if (record_conflicted(r)) {
    c->conflicts++;
    st->conflicts++;
  }
  if (st->schema != NULL &&
      schema_review(schema_collection(st->schema, r->collection), r, NULL, 0) ==
          1)
    st->review++;
  return 0;
}

/* A row as stored: one that does not read as its record is counted, not
 * fatal, so status still shows the rest and says to run check. */
static int status_row(const char *collection, const char *id, uint64_t seq,
                      const char *text, size_t len, void *arg)
{
  struct status *st = arg;
  struct record r;
  int rc;

  (void)seq;
  record_init(&r, collection, id);
  rc = record_decode(&r, text, len, NULL);
  if (rc == SB_ENOMEM)
    return rc;
  if (rc != 0 || !record_is(&r, collection, id)) {
    st->unreadable++;
    rc = 0;
  } else {
    rc = status_one(&r, st);
  }
  record_release(&r);
  return rc;
}

/* The store's sync marks. */
static int sync_counts(struct store *s, struct status *st, struct sb_err *err)
{
  struct store_counts n;
  int rc = store_count(s, NULL, &n, err);

  if (rc == 0) {
    st->unsynced = n.pending;
    st->rejected = n.rejected;
  }
  return rc;
}

/* A rejected row: counted apart if this device refused it (conflicts lists
 * it apart too). */
static int rejected_row(const char *collection, const char *id, uint64_t seq,
                        const char *reason, size_t len, void *arg)
{
  struct status *st = arg;
  cJSON *j = cJSON_ParseWithLength(reason, len);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");

  (void)collection;
  (void)id;
  (void)seq;
  if (cJSON_IsString(code) && util_not_merged(code->valuestring))
    st->not_merged++;
  cJSON_Delete(j);
  return 0;
}

/* --- the daemon's view ------------------------------------------------------
 */

static int keep_line(const char *line, void *ctx)
{
  cJSON **out = ctx;
  cJSON *j = cJSON_Parse(line);
  cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(j, "status");

  cJSON_Delete(j);
  *out = cJSON_IsObject(st) ? st : NULL;
  if (*out == NULL)
    cJSON_Delete(st);
  return 0;
}

/* The running daemon's status object, or NULL if none answers. */
static cJSON *daemon_status(const char *db)
{
  cJSON *st = NULL;

  if (control_client_request(db, "{\"cmd\":\"status\"}", 1000, keep_line, &st,
                             NULL) != 0) {
    cJSON_Delete(st);
    return NULL;
  }
  return st;
}

static double dnum(const cJSON *j, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Seconds from now to unix ms t (negative: ago). */
static double secs_from_now(double t)
{
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (t - ((double)now.tv_sec * 1000 + (double)now.tv_nsec / 1e6)) / 1000;
}

/* The daemon's phase (a machine name, CONTROL.md) for people. */
static const char *phase_text(const cJSON *phase)
{
  static const char *const names[] = {
      N_("idle"),    N_("pushing"), N_("pulling"), N_("listening"),
      N_("backoff"), N_("halted"),  N_("stopped")};
  size_t i;

  if (!cJSON_IsString(phase))
    return "?";
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (strcmp(phase->valuestring, names[i]) == 0)
      return _(names[i]);
  }
  return phase->valuestring;
}

static void daemon_plain(const cJSON *d)
{
  const cJSON *phase = cJSON_GetObjectItemCaseSensitive(d, "phase");
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(d, "last_error");
  bool online = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "online"));

  if (d == NULL) {
    printf(_("daemon: not running\n"));
    return;
  }
  printf(_("daemon: %s, %s\n"), phase_text(phase),
         online ? _("online") : _("offline"));
  if (dnum(d, "last_success_ms") > 0)
    printf(_("  last sync: %.0f s ago\n"),
           -secs_from_now(dnum(d, "last_success_ms")));
  else
    printf(_("  last sync: never\n"));
  if (dnum(d, "cycle_pushed") > 0 || dnum(d, "cycle_pulled") > 0)
    printf(_("  this cycle: pushed %.0f, pulled %.0f\n"),
           dnum(d, "cycle_pushed"), dnum(d, "cycle_pulled"));
  if (cJSON_IsString(error) && error->valuestring[0] != '\0')
    printf(_("  last error: %s\n"), error->valuestring);
  if (dnum(d, "next_retry_ms") > 0)
    printf(_("  next retry: in %.1f s\n"),
           secs_from_now(dnum(d, "next_retry_ms")));
}

/* What the checks of the store saw (the quick check at open, the mark). */
static const char *integrity(struct store *s, char *why, size_t n)
{
  switch (store_check_state(s)) {
  case STORE_CHECK_BAD:
    store_corrupt(s, why, n);
    return N_("corrupt");
  case STORE_CHECK_PARTIAL:
    return N_("not checked fully");
  case STORE_CHECK_OK:
    return "ok";
  default:
    return N_("not checked");
  }
}

/* --- the clock and the last sync problem (kept in the store) ------------- */

/* The hub's clock minus ours as new writes use it, in ms; false if never
 * measured. A stale offset (the clock was stepped since) counts as 0. */
static bool clock_offset(struct store *s, int64_t *ms)
{
  struct hlc_offset o;
  uint64_t wall = hlc_wall_ms();

  if (store_clock_offset_get(s, &o, NULL) != 0 || o.hub_ms == 0)
    return false;
  *ms = (int64_t)hlc_offset_apply(&o, wall) - (int64_t)wall;
  return true;
}

/* "30 h 5 min", "4 min 10 s" or "1.2 s". */
static void span_text(uint64_t ms, char *out, size_t size)
{
  uint64_t min = (ms + 30000) / 60000, s = (ms + 500) / 1000;
  if (min >= 60)
    snprintf(out, size, _("%llu h %llu min"), (unsigned long long)(min / 60),
             (unsigned long long)(min % 60));
  else if (s >= 60)
    snprintf(out, size, _("%llu min %llu s"), (unsigned long long)(s / 60),
             (unsigned long long)(s % 60));
  else
    snprintf(out, size, _("%.1f s"), (double)ms / 1000);
}

/* The clock line; a warning when it is off by more than a minute. */
static void clock_plain(struct store *s)
{
  char span[48];
  int64_t ms;

  if (!clock_offset(s, &ms))
    return; /* never synced: nothing to compare */
  span_text((uint64_t)(ms < 0 ? -ms : ms), span, sizeof(span));
  if (ms < -STATUS_CLOCK_WARN_MS)
    printf(_("warning: this device's clock is %s ahead of the hub's; new "
             "writes are stamped with the hub's time (set the clock right)\n"),
           span);
  else if (ms > STATUS_CLOCK_WARN_MS)
    printf(_("warning: this device's clock is %s behind the hub's; new "
             "writes are stamped with the hub's time (set the clock right)\n"),
           span);
  else
    printf(_("clock: within %s of the hub's\n"), span);
}

/* Why the last sync left records refused or pending ("" if nothing). */
static void problem_plain(struct store *s)
{
  char *text = NULL;

  if (store_meta_get(s, SYNC_PROBLEM_KEY, &text, NULL) == 0 && text[0] != '\0')
    printf(_("last sync: %s\n"), text);
  free(text);
}

/* A time kept in the store's meta key (unix ms): 0 if none. */
static uint64_t meta_ms(struct store *s, const char *key)
{
  char *text = NULL;
  uint64_t ms = 0;

  if (store_meta_get(s, key, &text, NULL) == 0)
    ms = strtoull(text, NULL, 10);
  free(text);
  return ms;
}

/* When the last sync cycle completed (unix ms, to the minute), from the
 * store: 0 if never. */
static uint64_t last_sync_ms(struct store *s)
{
  return meta_ms(s, SYNC_LAST_OK_KEY);
}

/* While the device pushes everything again to a hub put back from a copy
 * (daemon/sync/DESIGN.md): since when, in local time. */
static void rebase_plain(struct store *s)
{
  uint64_t ms = meta_ms(s, SYNC_REBASE_KEY);
  time_t t = (time_t)(ms / 1000);
  char when[32];
  struct tm tm;

  if (ms == 0 || localtime_r(&t, &tm) == NULL ||
      strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
    return;
  printf(_("hub put back from a copy: sending every record again since %s\n"),
         when);
}

/* "last synced: YYYY-MM-DD HH:MM (SPAN ago)" in local time, or never. */
static void last_sync_plain(struct store *s)
{
  uint64_t ms = last_sync_ms(s), now = hlc_wall_ms();
  time_t t = (time_t)(ms / 1000);
  char when[32], span[48];
  struct tm tm;

  if (ms == 0 || localtime_r(&t, &tm) == NULL ||
      strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0) {
    printf(_("last synced: never\n"));
    return;
  }
  span_text(now > ms ? now - ms : 0, span, sizeof(span));
  printf(_("last synced: %s (%s ago)\n"), when, span);
}

/* The same two as members of the --json object, each only when there is
 * something to say (clock_offset_ms: hub minus ours, once measured). */
static bool clock_json(struct store *s, cJSON *j)
{
  char *text = NULL;
  int64_t ms = 0;
  bool ok = true;

  if (clock_offset(s, &ms))
    ok = cJSON_AddNumberToObject(j, "clock_offset_ms", (double)ms) != NULL;
  if (ok && store_meta_get(s, SYNC_PROBLEM_KEY, &text, NULL) == 0 &&
      text[0] != '\0')
    ok = cJSON_AddStringToObject(j, "sync_problem", text) != NULL;
  free(text);
  return ok;
}

static int status_json(const struct cli *cli, const struct status *st,
                       const char *server, const char *scope,
                       struct sb_err *err)
{
  cJSON *j = cJSON_CreateObject();
  cJSON *colls = cJSON_AddObjectToObject(j, "collections");
  uint64_t last = last_sync_ms(cli->store);
  uint64_t rebase = meta_ms(cli->store, SYNC_REBASE_KEY);
  size_t i;
  int rc;

  for (i = 0; colls != NULL && i < st->n; i++) {
    cJSON *c = cJSON_AddObjectToObject(colls, st->c[i].name);
    if (c == NULL ||
        !cJSON_AddNumberToObject(c, "records", (double)st->c[i].records) ||
        !cJSON_AddNumberToObject(c, "deleted", (double)st->c[i].deleted) ||
        !cJSON_AddNumberToObject(c, "conflicts", (double)st->c[i].conflicts))
      colls = NULL;
  }
  if (colls == NULL ||
      !cJSON_AddStringToObject(j, "replica", store_replica(cli->store)) ||
      !cJSON_AddStringToObject(j, "store", cli->db) ||
      !cJSON_AddStringToObject(j, "integrity",
                               integrity(cli->store, NULL, 0)) ||
      !(server != NULL ? cJSON_AddStringToObject(j, "server", server)
                       : cJSON_AddNullToObject(j, "server")) ||
      !(scope != NULL ? cJSON_AddStringToObject(j, "scope", scope)
                      : cJSON_AddNullToObject(j, "scope")) ||
      !cJSON_AddNumberToObject(j, "unsynced", (double)st->unsynced) ||
      !cJSON_AddNumberToObject(j, "rejected", (double)st->rejected) ||
      /* said only when there are some, as unreadable below */
      !(st->not_merged == 0 ||
        cJSON_AddNumberToObject(j, "not_merged", (double)st->not_merged)) ||
      !cJSON_AddNumberToObject(j, "conflicts", (double)st->conflicts) ||
      !cJSON_AddNumberToObject(j, "review", (double)st->review) ||
      /* said only when there are some (the object scripts know stays) */
      !(st->unreadable == 0 ||
        cJSON_AddNumberToObject(j, "unreadable", (double)st->unreadable)) ||
      !(!st->disk_low || cJSON_AddNumberToObject(j, "disk_available_bytes",
                                                 (double)st->disk_avail)) ||
      !clock_json(cli->store, j) ||
      !(last > 0 ? cJSON_AddNumberToObject(j, "last_sync_ms", (double)last)
                 : cJSON_AddNullToObject(j, "last_sync_ms")) ||
      /* said only while one runs */
      !(rebase == 0 ||
        cJSON_AddNumberToObject(j, "rebase_since_ms", (double)rebase))) {
    cJSON_Delete(j);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  {
    cJSON *d = daemon_status(cli->db);
    if (d != NULL)
      cJSON_AddItemToObject(j, "daemon", d);
    else
      cJSON_AddNullToObject(j, "daemon");
  }
  rc = util_print_json(j, err);
  cJSON_Delete(j);
  return rc;
}

static void status_plain(const struct cli *cli, const struct status *st,
                         const char *server, const char *scope)
{
  size_t i;
  printf(_("replica: %s\n"), store_replica(cli->store));
  printf(_("store: %s\n"), cli->db);
  printf(_("server: %s\n"), server != NULL ? server : _("(none)"));
  if (scope != NULL)
    printf(_("scope: %s\n"), strcmp(scope, "all") == 0 ? _("all") : scope);
  else if (server != NULL)
    printf(_("scope: not known until the first sync\n"));
  {
    char why[256] = "";
    const char *state = integrity(cli->store, why, sizeof(why));
    /* Said only when something is wrong or unknown (a line less to read
     * on every healthy device). */
    if (why[0] != '\0')
      printf(_("integrity: %s (%s): writes are refused; run `sambang check` "
               "or `sambang recover`\n"),
             _(state), why);
    else if (strcmp(state, "ok") != 0)
      printf(_("integrity: %s\n"), _(state));
    if (st->unreadable > 0)
      printf(_("unreadable records: %llu (run `sambang check`, then "
               "`sambang recover`)\n"),
             (unsigned long long)st->unreadable);
    if (st->disk_low)
      printf(_("disk: %.1f MB left: a sync may not fit; free some space\n"),
             (double)st->disk_avail / 1e6);
  }
  printf(_("records:\n"));
  for (i = 0; i < st->n; i++) {
    const struct schema_collection *c =
        st->schema != NULL ? schema_collection(st->schema, st->c[i].name)
                           : NULL;
    printf("  %s: %llu",
           c != NULL ? view_title(&c->title, st->c[i].name) : st->c[i].name,
           (unsigned long long)st->c[i].records);
    if (st->c[i].deleted > 0)
      printf(_(" (%llu deleted)"), (unsigned long long)st->c[i].deleted);
    putchar('\n');
  }
  printf(_("unsynced changes: %llu\n"), (unsigned long long)st->unsynced);
  if (st->rejected > st->not_merged)
    printf(_("rejected by the hub: %llu (see `sambang conflicts`)\n"),
           (unsigned long long)(st->rejected - st->not_merged));
  if (st->not_merged > 0)
    printf(_("not merged on this device: %llu (see `sambang conflicts`)\n"),
           (unsigned long long)st->not_merged);
  printf(_("open conflicts: %llu\n"), (unsigned long long)st->conflicts);
  if (st->review > 0)
    printf(_("needing review: %llu (see `sambang conflicts`)\n"),
           (unsigned long long)st->review);
  last_sync_plain(cli->store);
  rebase_plain(cli->store);
  problem_plain(cli->store);
  clock_plain(cli->store);
  {
    cJSON *d = daemon_status(cli->db);
    daemon_plain(d);
    cJSON_Delete(d);
  }
}

int cmd_status(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct status st = {0};
  char *server = NULL, *scope = NULL;
  const char *shown;
  size_t i;
  int rc;

  if (argc > 1)
    return argv[1][0] == '-' ? util_bad_option("status", argv[1], err)
                             : util_usage(err, "status takes no arguments");
  rc = util_open(cli, err);
  if (rc != 0)
    return rc;
  /* The schema's collections are listed first, even when empty. */
  if (util_schema(cli, NULL) == 0) {
    st.schema = cli->schema;
    for (i = 0; i < cli->schema->nc; i++) {
      if (status_coll(&st, cli->schema->c[i].name) == NULL) {
        rc = sb_err_set(err, SB_ENOMEM, NULL);
        goto done;
      }
    }
  }
  {
    uint64_t avail, size;
    st.disk_low = disk_room(cli->db, &avail, &size) && avail < DISK_LOW_BYTES;
    st.disk_avail = st.disk_low ? avail : 0;
  }
  rc = sync_counts(cli->store, &st, err);
  if (rc == 0 && st.rejected > 0)
    rc = store_rejected_each(cli->store, rejected_row, &st, err);
  if (rc == 0)
    rc = store_each_text(cli->store, NULL, status_row, &st, err);
  if (rc == SB_ENOMEM)
    sb_err_set(err, rc, NULL);
  if (rc == 0) {
    rc = store_meta_get(cli->store, "server", &server, err);
    if (rc == SB_ENOTFOUND)
      rc = 0;
  }
  if (rc == 0) { /* as the hub last stated it */
    rc = store_meta_get(cli->store, STORE_META_SCOPE, &scope, err);
    if (rc == SB_ENOTFOUND)
      rc = 0;
  }
  if (rc != 0)
    goto done;
  /* Never stated after a sync: the hub sends all (it states only a scope
   * that is not all: daemon/sync/sync_scope.c); NULL: not known yet. */
  shown = scope != NULL ? scope : last_sync_ms(cli->store) > 0 ? "all" : NULL;
  if (cli->json)
    rc = status_json(cli, &st, server, shown, err);
  else
    status_plain(cli, &st, server, shown);
done:
  free(server);
  free(scope);
  free(st.c);
  return rc;
}
