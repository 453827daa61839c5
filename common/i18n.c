/* i18n.c - setlocale and the catalogue's directory (see i18n.h). */
#include "compat.h"

#include "i18n.h"

#include <locale.h>
#include <stdlib.h>

#ifndef SAMBANG_LOCALEDIR
#define SAMBANG_LOCALEDIR "/usr/share/locale"
#endif

void i18n_init(const char *domain)
{
  const char *dir = getenv("SAMBANG_LOCALEDIR");

  setlocale(LC_CTYPE, "");
  setlocale(LC_MESSAGES, "");
  bindtextdomain(domain, dir != NULL && dir[0] != '\0' ? dir
                                                            : SAMBANG_LOCALEDIR);
  bind_textdomain_codeset(domain, "UTF-8");
  textdomain(domain);
}

const char *i18n_text(const char *msgid)
{
  return gettext(msgid);
}
