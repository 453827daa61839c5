/*
 * cmd_init.c - `sambang init`: a new store with a fresh replica id.
 *
 * The schema (the built-in one, or --schema FILE checked by schema_parse
 * first) and the hub settings go into the store, so later commands need
 * nothing else. An existing store is never touched.
 */
#include "compat.h"

#include "cli.h"

#include "json.h"
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_server(const char *url, struct sb_err *err)
{
  size_t scheme = strncmp(url, "https://", 8) == 0  ? 8
                  : strncmp(url, "http://", 7) == 0 ? 7
                                                    : 0;
  if (scheme == 0 || url[scheme] == '\0' || !util_printable(url))
    return sb_err_set(err, SB_EINVAL,
                      "--server must be an http:// or https:// URL such as "
                      "https://hub.example.org, got \"%.80s\"",
                      url);
  /* what sync will refuse, refused now: a bad host or port, plain http://
   * beyond this machine (insecure_http is a config file's choice) */
  return sync_config_check_server(url, false, err);
}

/* The hub settings init keeps (NULL: not given). */
struct init_hub {
  const char *server, *token, *ca_pem, *pin;
};

/* Keeps --server, the office CA and the pin in the new store's meta and
 * the token in its token file (STORE.token, 0600: never in the store file
 * itself). */
static int save_settings(struct store *s, const struct init_hub *h,
                         struct sb_err *err)
{
  int rc = store_begin(s, err);
  if (rc != 0)
    return rc;
  if (h->server != NULL)
    rc = store_meta_set(s, "server", h->server, err);
  if (rc == 0 && h->ca_pem != NULL)
    rc = store_meta_set(s, SYNC_META_CA, h->ca_pem, err);
  if (rc == 0 && h->pin != NULL)
    rc = store_meta_set(s, SYNC_META_PIN, h->pin, err);
  if (rc == 0 && h->token != NULL)
    rc = store_token_set(s, h->token, err);
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc != 0)
    store_rollback(s);
  return rc;
}

static int init_print(const struct cli *cli, struct sb_err *err)
{
  cJSON *j;
  int rc;

  if (!cli->json) {
    printf("%s\n", store_replica(cli->store));
    return 0;
  }
  j = cJSON_CreateObject();
  if (j == NULL ||
      !cJSON_AddStringToObject(j, "replica", store_replica(cli->store)) ||
      !cJSON_AddStringToObject(j, "store", cli->db)) {
    cJSON_Delete(j);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  rc = util_print_json(j, err);
  cJSON_Delete(j);
  return rc;
}

int cmd_init(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  const char *server = NULL, *token = NULL, *schema_file = NULL;
  const char *token_file = NULL, *ca_file = NULL, *pin = NULL;
  char *schema_text = NULL, *token_text = NULL, *ca_pem = NULL;
  struct init_hub hub;
  bool made;
  int i, rc = 0;

  for (i = 1; i < argc; i++) {
    const char *v = NULL;
    const char **slot = NULL;
    const char *name = NULL;
    if ((rc = util_opt(argc, argv, &i, "server", &v, err)) == 1) {
      slot = &server;
      name = "--server";
    } else if (rc == 0 &&
               (rc = util_opt(argc, argv, &i, "token", &v, err)) == 1) {
      slot = &token;
      name = "--token";
    } else if (rc == 0 &&
               (rc = util_opt(argc, argv, &i, "token-file", &v, err)) == 1) {
      slot = &token_file;
      name = "--token-file";
    } else if (rc == 0 &&
               (rc = util_opt(argc, argv, &i, "schema", &v, err)) == 1) {
      slot = &schema_file;
      name = "--schema";
    } else if (rc == 0 &&
               (rc = util_opt(argc, argv, &i, "ca-file", &v, err)) == 1) {
      slot = &ca_file;
      name = "--ca-file";
    } else if (rc == 0 &&
               (rc = util_opt(argc, argv, &i, "pin", &v, err)) == 1) {
      slot = &pin;
      name = "--pin";
    }
    if (rc < 0)
      return rc;
    if (slot == NULL)
      return argv[i][0] == '-'
                 ? util_bad_option("init", argv[i], err)
                 : util_usage(err,
                              "init takes only options, not \"%.80s\" (see "
                              "sambang init --help)",
                              argv[i]);
    if (*slot != NULL)
      return util_usage(err, "%s is given twice", name);
    *slot = v;
  }
  if (token != NULL && token_file != NULL)
    return util_usage(err, "give --token or --token-file, not both");
  if (server != NULL && (rc = check_server(server, err)) != 0)
    return rc;
  if (pin != NULL && (rc = sync_config_check_pin(pin, err)) != 0)
    return rc;
  if (ca_file != NULL && (rc = sync_config_read_ca(ca_file, &ca_pem, err)) != 0)
    return rc;
  if (token_file != NULL || (token != NULL && strcmp(token, "-") == 0)) {
    rc =
        cli_token_read(token_file != NULL ? token_file : "-", &token_text, err);
    if (rc != 0) {
      free(ca_pem);
      return rc;
    }
    token = token_text;
  } else if (token != NULL &&
             (rc = cli_token_check(token, "--token", err)) != 0) {
    free(token_text);
    free(ca_pem);
    return rc;
  }
  if (schema_file != NULL &&
      (rc = schema_file_read(schema_file, &schema_text, err)) != 0) {
    free(token_text);
    free(ca_pem);
    return rc;
  }

  rc = 0;
  /* "dir/" would be made as a directory, then refused as a store */
  if (cli->db[0] == '\0' || cli->db[strlen(cli->db) - 1] == '/')
    rc = sb_err_set(err, SB_EINVAL,
                    "the store path \"%s\" names a directory; give the "
                    "path of a new store file (for example %sstore.db)",
                    cli->db, cli->db);
  if (rc == 0)
    rc = util_mkdir_parents(cli->db, err);
  if (rc == 0)
    rc = store_create(cli->db,
                      schema_text != NULL ? schema_text : schema_default_text,
                      &cli->store, err);
  free(schema_text);
  made = rc == 0;
  hub = (struct init_hub){server, token, ca_pem, pin};
  if (rc == 0)
    rc = store_role_set(cli->store, STORE_ROLE_DEVICE, err);
  if (rc == 0 &&
      (server != NULL || token != NULL || ca_pem != NULL || pin != NULL))
    rc = save_settings(cli->store, &hub, err);
  if (rc != 0 && made) {
    store_close(cli->store);
    cli->store = NULL;
    util_remove_store(cli->db); /* this run made it */
  }
  free(token_text);
  free(ca_pem);
  if (rc != 0)
    return rc;
  return init_print(cli, err);
}
