/*
 * office_lang.c - the office API's messages in the reader's language.
 *
 * The dashboard names its language in Accept-Language. For a request that
 * asks for Indonesian, the request's thread takes an Indonesian message
 * locale (uselocale) while the hub handles it, so the messages it makes
 * then (office_reply_error's, and sb_err_set's in the code it calls) come
 * from the catalogue; everything else keeps the hub's English
 * (i18n_english): the devices' protocol and the log.
 */
#include "compat.h"

#include "office_int.h"

#include <string.h>
#include <strings.h>

locale_t office_lang_load(void)
{
  /* The process's locale but for messages; (locale_t)0 if the system
   * lacks id_ID.UTF-8: English, as before. */
  locale_t base = duplocale(LC_GLOBAL_LOCALE);
  locale_t l = base != (locale_t)0
                   ? newlocale(LC_MESSAGES_MASK, "id_ID.UTF-8", base)
                   : (locale_t)0;

  if (l == (locale_t)0 && base != (locale_t)0)
    freelocale(base); /* (newlocale frees base only when it succeeds) */
  return l;
}

bool office_lang_indonesian(const char *accept_language)
{
  const char *v = accept_language;
  size_t n;

  /* Only the first range counts ("id", "id-ID"; its q is not read). */
  if (v == NULL)
    return false;
  v += strspn(v, " \t");
  n = strcspn(v, ",; \t");
  return (n == 2 || (n > 2 && v[2] == '-')) && strncasecmp(v, "id", 2) == 0;
}

bool office_lang_id(const struct hub_call *c)
{
  return c->oreq != NULL && c->oreq->indonesian && c->office != NULL &&
         c->office->id_locale != (locale_t)0;
}

locale_t office_lang_enter(const struct hub_call *c)
{
  if (!office_lang_id(c))
    return (locale_t)0;
  return uselocale(c->office->id_locale);
}

void office_lang_leave(locale_t prev)
{
  if (prev != (locale_t)0)
    uselocale(prev);
}
