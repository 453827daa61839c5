/*
 * proto.h - the sync protocol's messages (spec: proto/PROTOCOL.md).
 *
 * Protocol v1 is JSON over HTTP/1.1 under /v1/. Decoders are strict: wrong
 * types, missing fields, over-long strings, too many records, bad ids or
 * bad version vectors are refused whole with SB_EPROTOCOL and a precise
 * message (never half-read); unknown extra fields are ignored. Record
 * states travel in the canonical export form (record.h, record_to_json).
 * Encoders return malloc'd canonical JSON text (NULL only on ENOMEM).
 */
#ifndef SAMBANG_PROTO_H
#define SAMBANG_PROTO_H

#include "compat.h"

#include "err.h"
#include "proto_err.h"
#include "record.h"

#define PROTO_VERSION_PATH "/v1"
#define PROTO_MAX_BODY (16 * 1024 * 1024) /* bytes, after gunzip */
#define PROTO_MAX_BATCH 1000              /* records per push */
/* Text of one record state in a push (2 x SB_RECORD_MAX: room for
 * whitespace and escapes; the canonical limit is checked after decoding). */
#define PROTO_MAX_STATE_TEXT (2 * 1024 * 1024)
#define PROTO_MAX_PAGE 5000 /* changes per pull page */
#define PROTO_DEFAULT_PAGE 500
/* A page stops before its record states pass this many bytes (one record
 * always goes): with its framing it stays well under PROTO_MAX_BODY, which
 * a device refuses to go over, whatever the records weigh. */
#define PROTO_PAGE_BYTES (8 * 1024 * 1024)
#define PROTO_MAX_WAIT_S 60 /* long-poll */
#define PROTO_REPLICA_HEADER "Sambang-Replica"
/* On every hub reply: the hub's clock, ms since the epoch (decimal). */
#define PROTO_TIME_HEADER "Sambang-Time"
/* On a changes page: its "next" and "more" (decimal; "1" or "0"), so a
 * device may ask for the next page before it has decoded this one. */
#define PROTO_NEXT_HEADER "Sambang-Next"
#define PROTO_MORE_HEADER "Sambang-More"
/* On every hub reply that reads and serves record states in the compact
 * form (PROTOCOL.md, "The compact form"): "compact". A device sends a push
 * in that form (as PROTO_COMPACT_TYPE, which a hub that does not know the
 * form refuses, 415) only after a reply that said so. */
#define PROTO_FORMS_HEADER "Sambang-Forms"
#define PROTO_COMPACT_TYPE "application/vnd.sambang.compact+json"
/* What a device adds to its changes requests: states in the compact form
 * (a hub that does not know the parameter ignores it). */
#define PROTO_FORM_COMPACT_QUERY "&form=compact"

/* On every hub reply but early refusals: the hub store's generation (16
 * hex digits), new when the store was put back from a copy: a device
 * that sees it change pushes everything again and pulls from 0. */
#define PROTO_GENERATION_HEADER "Sambang-Generation"

/* On a device's requests (optional): what it holds that is not at the
 * hub, as it last counted (marks.c): "pending=N refused=M". */
#define PROTO_MARKS_HEADER "Sambang-Marks"
#define PROTO_MARKS_TEXT_MAX 64
struct proto_marks {
  uint64_t pending; /* changes not yet accepted by the hub */
  uint64_t refused; /* changes the hub refused, kept on the device */
};
void proto_marks_encode(const struct proto_marks *m,
                        char out[PROTO_MARKS_TEXT_MAX + 1]);
/* SB_EPROTOCOL, naming the header, unless text is exactly the form. */
int proto_marks_decode(const char *text, struct proto_marks *out,
                       struct sb_err *err);

/* On a device's pushes (optional): the push chain (chain.c; PROTOCOL.md,
 * "Push chain"): "PREV NEXT SINCE". NEXT is the value this push moves the
 * hub's record of the device to; PREV the one the device's last
 * acknowledged push moved it to ("-": none yet); SINCE the device's pull
 * cursor (decimal). A hub holding neither refuses the push whole
 * (PROTO_ERR_COPIED_STORE): another store writes as this device; unless
 * SINCE is past its feed: the hub's store went back, not the device's. */
#define PROTO_CHAIN_HEADER "Sambang-Push-Chain"
#define PROTO_CHAIN_LEN 32 /* lowercase hex digits: 128 random bits */
#define PROTO_CHAIN_TEXT_MAX (2 * PROTO_CHAIN_LEN + 2 + 16)
struct proto_chain {
  char prev[PROTO_CHAIN_LEN + 1]; /* "": none yet */
  char next[PROTO_CHAIN_LEN + 1];
  uint64_t since; /* at most SB_COUNTER_MAX */
};
void proto_chain_encode(const struct proto_chain *c,
                        char out[PROTO_CHAIN_TEXT_MAX + 1]);
/* SB_EPROTOCOL, naming the header, unless text is exactly the form. */
int proto_chain_decode(const char *text, struct proto_chain *out,
                       struct sb_err *err);
/* True if v is exactly PROTO_CHAIN_LEN lowercase hex digits. */
bool proto_chain_valid(const char *v);

/* POST /v1/push: {"records":[state, ...]} */
struct push_req {
  struct record *recs;
  size_t n;
};
void push_req_init(struct push_req *p);
void push_req_release(struct push_req *p);
/*
 * Decodes a push request into p (released first; empty on failure). A
 * state that does not decode refuses the whole request: SB_EPROTOCOL, and
 * *bad_record (if not NULL) is its index in "records"; it is -1 when the
 * request is refused for something else (or accepted).
 */
int push_req_decode(struct push_req *p, const char *body, size_t len,
                    long *bad_record, struct sb_err *err);
/*
 * The same decode through a cJSON tree per record (the path before the
 * tree-less one): kept for the differential fuzzer and the benchmark.
 */
int push_req_decode_tree(struct push_req *p, const char *body, size_t len,
                         long *bad_record, struct sb_err *err);
char *push_req_encode(const struct record *const *recs, size_t n);

/* One record's outcome in a push reply. */
struct push_result {
  char collection[SB_NAME_MAX + 1];
  char id[SB_ID_MAX + 1];
  bool ok;
  uint64_t seq; /* ok: the hub's change sequence of the record */
  /* ok: the state the hub stored at seq is exactly the pushed one (its
   * feed entry there is the pusher's echo); false if absent */
  bool echo;
  /* !ok: the error code's wire name as sent (proto_err_parse gives the
   * enum; a newer hub's code is kept as it came, for the user to see) */
  char code[PROTO_ERR_NAME_MAX + 1];
  char message[SB_ERR_MSG_MAX];
};

/* Reply: {"results":[{"collection","echo"?,"id","ok":true,"seq"} |
 *                    {"collection","id","ok":false,"error":{code,message}}],
 *         "last_seq":N} */
struct push_reply {
  struct push_result *res;
  size_t n;
  uint64_t last_seq;
};
void push_reply_init(struct push_reply *p);
void push_reply_release(struct push_reply *p);
/* Without a tree (push_reply.c): the decoder a device runs. */
int push_reply_decode(struct push_reply *p, const char *body, size_t len,
                      struct sb_err *err);
/* The same through a cJSON tree (for the fuzzer and the benchmark). */
int push_reply_decode_tree(struct push_reply *p, const char *body, size_t len,
                           struct sb_err *err);
char *push_reply_encode(const struct push_reply *p);

/* GET /v1/changes?since=N&limit=L&wait=S reply:
 * {"changes":[{"record":state,"seq":N} | {"gone":{"collection":C,"id":I},
 *  "seq":N}, ...][,"horizon":H][,"last":L],"more":bool,"next":N
 *  [,"scope":TEXT]} */
struct change {
  uint64_t seq;
  struct record rec; /* gone: an empty record of the key */
  bool gone;         /* the record left the device's scope: remove it */
};
/* Longest "scope" text of a page. */
#define PROTO_SCOPE_MAX 1024
struct changes_page {
  struct change *c;
  size_t n;
  bool more;     /* another page is ready now */
  uint64_t next; /* the cursor to ask with next time */
  char *scope;   /* the device's scope ("all", "Pamulang,Setu"); NULL: none */
  uint64_t horizon; /* the hub's purge horizon (0: nothing purged) */
  /* The newest feed number when the hub read the page (0: not said, an
   * older hub): how far the feed goes, for a device's progress. */
  uint64_t last;
};
void changes_page_init(struct changes_page *p);
void changes_page_release(struct changes_page *p);
int changes_page_decode(struct changes_page *p, const char *body, size_t len,
                        struct sb_err *err);
/* The same through a cJSON tree (for the fuzzer and the benchmark). */
int changes_page_decode_tree(struct changes_page *p, const char *body,
                             size_t len, struct sb_err *err);
/* Encodes a page from already-encoded record states (the hub's rows). */
char *changes_page_encode(const uint64_t *seqs, const char *const *states,
                          size_t n, bool more, uint64_t next);
/* changes_page_encode where entry i is a gone entry when gone[i] (its
 * states[i] is changes_gone_encode's text), with the device's scope
 * (NULL: none). gone may be NULL. */
char *changes_page_encode_scoped(const uint64_t *seqs,
                                 const char *const *states, const bool *gone,
                                 size_t n, bool more, uint64_t next,
                                 const char *scope);
/* changes_page_encode_scoped with the hub's purge horizon (0: none, the
 * member is left out). */
char *changes_page_encode_horizon(const uint64_t *seqs,
                                  const char *const *states, const bool *gone,
                                  size_t n, bool more, uint64_t next,
                                  const char *scope, uint64_t horizon);
/* A page's members besides its changes (horizon, last: 0 leaves the
 * member out; scope: NULL leaves it out). */
struct changes_page_head {
  bool more;
  uint64_t next;
  const char *scope;
  uint64_t horizon, last;
};
/* A page of n entries (gone as in changes_page_encode_scoped) and head. */
char *changes_page_encode_head(const uint64_t *seqs, const char *const *states,
                               const bool *gone, size_t n,
                               const struct changes_page_head *head);
/* changes_page_encode_head's text gzip'd as it is encoded, into *out
 * (malloc'd; the bytes gzip_deflate makes of that text): a large page's
 * JSON never whole in memory. */
int changes_page_gzip(const uint64_t *seqs, const char *const *states,
                      const bool *gone, size_t n,
                      const struct changes_page_head *head, char **out,
                      size_t *out_len, struct sb_err *err);
/* {"collection":C,"id":I} of a gone entry (malloc'd; NULL on ENOMEM). */
char *changes_gone_encode(const char *collection, const char *id);

/* Query parameters of GET /v1/changes (the part after '?', may be NULL). */
struct changes_query {
  uint64_t since;
  unsigned limit;
  unsigned wait_s;
};
int changes_query_parse(struct changes_query *q, const char *since,
                        const char *limit, const char *wait,
                        struct sb_err *err);

/* The skip_own parameter (absent: false; "1" true, "0" false; anything
 * else SB_EINVAL naming it, a bad_query): the device holds every state
 * it pushed, so its own echoes are passed over (PROTOCOL.md). */
int changes_query_skip_own(const char *value, bool *skip, struct sb_err *err);

/* The form parameter (absent or "full": false; "compact": true; anything
 * else SB_EINVAL naming it, a bad_query): the form of the page's record
 * states (PROTOCOL.md, "The compact form"). */
int changes_query_form(const char *value, bool *compact, struct sb_err *err);

/*
 * Error envelope {"error":{"code":"...","message":"...","record":N}}, the
 * body of every non-2xx reply; "record" (optional) is the index in the
 * push request's "records" of the record that refused the whole request.
 */
struct proto_error {
  enum proto_err code;               /* PROTO_ERR_UNKNOWN: a newer code */
  char name[PROTO_ERR_NAME_MAX + 1]; /* the code's wire name as sent */
  long record;                       /* 0..PROTO_MAX_BATCH-1, or -1: none */
  char message[SB_ERR_MSG_MAX];      /* for people; truncated to fit */
};

/* Encodes an envelope (malloc'd, NULL on ENOMEM). An unknown code is sent
 * as "internal", an empty message as the code's name, a record outside
 * 0..PROTO_MAX_BATCH-1 not at all. */
char *error_encode(enum proto_err code, long record, const char *message);

/* Decodes an envelope into *e; SB_EPROTOCOL (err says why) if body is not
 * one, including a "record" that is not an integer 0..PROTO_MAX_BATCH-1. */
int error_decode(struct proto_error *e, const char *body, size_t len,
                 struct sb_err *err);

/*
 * GET /v1/names?replicas=R1,R2,... (PROTOCOL.md, "Device names"): the
 * names of the enrolled devices that write as those replicas, reply
 * {"names":{"R1":"NAME",...}} (replicas no device has used left out).
 */
#define PROTO_NAMES_MAX 100      /* replicas per request */
#define PROTO_DEVICE_NAME_MAX 64 /* a device's name: 1-64 bytes */
/* True if s is a device name: 1-64 of [A-Za-z0-9._-], starting with a
 * letter or digit. */
bool proto_device_name_valid(const char *s);
struct proto_name {
  char replica[SB_REPLICA_MAX + 1];
  char name[PROTO_DEVICE_NAME_MAX + 1]; /* "" in a query: not known */
};
struct proto_names {
  struct proto_name *v;
  size_t n; /* at most PROTO_NAMES_MAX, each replica once */
};
void names_init(struct proto_names *nm);
void names_release(struct proto_names *nm);
/* Adds replica (with name, "" for none) unless nm has it: SB_EINVAL for
 * a bad replica id or name, SB_ETOOBIG past PROTO_NAMES_MAX. */
int names_add(struct proto_names *nm, const char *replica, const char *name);
/* replica's name in nm, or NULL. */
const char *names_find(const struct proto_names *nm, const char *replica);
/* The "replicas" query value into nm (names ""): SB_EINVAL naming what is
 * wrong (missing, a bad id, too many). */
int names_query_parse(struct proto_names *nm, const char *text,
                      struct sb_err *err);
/* The reply: the entries of nm that have a name. */
char *names_encode(const struct proto_names *nm);
/* Decodes a reply into nm (released first; empty on failure). */
int names_decode(struct proto_names *nm, const char *body, size_t len,
                 struct sb_err *err);

/*
 * A per-record refusal's message as people read it beside the record's
 * key: the hub starts it with "COLLECTION/ID: " (the record it concerns,
 * for a log read alone); shown next to that key already, the prefix is
 * passed over. message itself when it does not start so.
 */
const char *proto_record_message(const char *collection, const char *id,
                                 const char *message);

#endif
