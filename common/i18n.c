/* i18n.c - setlocale and the catalogue's directory (see i18n.h). */
#include "compat.h"

#include "i18n.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SAMBANG_LOCALEDIR
#define SAMBANG_LOCALEDIR "/usr/share/locale"
#endif

void i18n_init(const char *domain)
{
  const char *dir = getenv("SAMBANG_LOCALEDIR");

  setlocale(LC_CTYPE, "");
  setlocale(LC_MESSAGES, "");
  bindtextdomain(domain,
                 dir != NULL && dir[0] != '\0' ? dir : SAMBANG_LOCALEDIR);
  bind_textdomain_codeset(domain, "UTF-8");
  textdomain(domain);
}

void i18n_english(void)
{
  setlocale(LC_MESSAGES, "C");
  /* A thread that takes another message locale (the hub's office API,
   * uselocale) must get that language, not the environment's list. */
  unsetenv("LANGUAGE");
}

const char *i18n_text(const char *msgid)
{
  return gettext(msgid);
}

const char *i18n_lang(void)
{
  static char first[32];
  const char *loc = setlocale(LC_MESSAGES, NULL);
  const char *list = getenv("LANGUAGE");

  /* gettext ignores LANGUAGE in the C locale, and so do we; but not in
   * C.UTF-8 (a container's usual default), where LANGUAGE=id translates
   * the messages, so the labels follow it too. */
  if (loc == NULL || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0)
    return "en";
  if (list != NULL && list[0] != '\0') {
    snprintf(first, sizeof(first), "%.*s", (int)strcspn(list, ":"), list);
    return first;
  }
  return strncmp(loc, "C.", 2) == 0 ? "en" : loc;
}
