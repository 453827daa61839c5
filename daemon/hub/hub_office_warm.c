/*
 * hub_office_warm.c - the office's facts read before its first look.
 *
 * The dashboard's first look after the hub starts reads the whole feed
 * into the office's facts (OFFICE.md, "Facts kept from the feed"):
 * seconds at 100,000s of records. Someone who opens the login page is
 * about to look, and typing a password takes longer than that read, so
 * the first GET /login of the process reads them on the pool meanwhile,
 * on the office's reading connection. A hub the office never opens pays
 * nothing; the read happens once per process (later looks bring the facts
 * up to date themselves, as they always did).
 */
#include "compat.h"

#include "hub_server_int.h"

#include "log.h"
#include "office.h"
#include "office_int.h"

static int skip_fact(const struct office_fact *f, void *ctx)
{
  (void)f;
  (void)ctx;
  return 0;
}

static void on_warm_work(uv_work_t *w)
{
  struct hub_server *h = w->data;
  struct sb_err err = {0};
  int rc;

  uv_mutex_lock(&h->olock);
  rc = office_tally_each(h->office, h->ohs, skip_fact, NULL, &err);
  uv_mutex_unlock(&h->olock);
  /* Not an error of anyone's request: the first look reads again. */
  if (rc != 0)
    log_msg(LOG_LEVEL_WARN, "office: reading the records ahead: %s", err.msg);
}

static void on_warm_done(uv_work_t *w, int status)
{
  struct hub_server *h = w->data;
  (void)status;
  h->warming = false;
}

void hub_office_warm(struct hub_server *h)
{
  if (h->warmed || h->stopping || h->ohs == NULL)
    return;
  h->warmed = true;
  h->warm_work.data = h;
  if (uv_queue_work(h->loop, &h->warm_work, on_warm_work, on_warm_done) == 0)
    h->warming = true;
}
