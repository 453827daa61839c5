/*
 * i18n.h - messages for people in the user's language (gettext).
 *
 * English is the source language; catalogues live in common/po/ (id.po:
 * Bahasa Indonesia). Each program calls i18n_init once, first thing in
 * main; then _("text") translates a message where it is printed and
 * N_("text") marks one that is translated later (a table entry).
 * sb_err_set, sb_err_prefix and the CLI's util_usage translate their
 * format string themselves, so their callers pass plain literals.
 * Machine-readable text (JSON codes, protocol codes, log keys, metric
 * names) is never translated.
 */
#ifndef SAMBANG_I18N_H
#define SAMBANG_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

/*
 * Sets the text domain: "sambang" (the CLI and sambangd, package sambang)
 * or "sambang-hub" (package sambang-hub); both are built from the same
 * id.po, so each package ships its own file. Takes the language from the
 * environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) for messages and the
 * character set only: numbers and times keep the C locale, so JSON, logs and
 * the wire do not change with it. The catalogue is read from $SAMBANG_LOCALEDIR
 * if set (the build tree's, for tests), else from the installed locale
 * directory.
 */
void i18n_init(const char *domain);

/*
 * Messages in English from now on (LC_MESSAGES back to "C", and LANGUAGE
 * dropped from the environment, so a thread that takes another message
 * locale with uselocale gets that one's language): sambang-hub
 * calls it before it starts serving, since what it makes then goes on the
 * wire (the protocol's "message" field is English) and in the log. Call
 * before any thread starts (setlocale is not thread-safe).
 */
void i18n_english(void);

/* msgid translated in the program's domain, or msgid itself (no
 * catalogue, no entry, or i18n_init not called: unit tests). */
const char *i18n_text(const char *msgid) __attribute__((format_arg(1)));

/*
 * The language messages are shown in, as a locale name ("id_ID.UTF-8",
 * "id", from LANGUAGE first); "en" in the C locale. For text that does not
 * come from the catalogue (the schema's labels: schema_label).
 */
const char *i18n_lang(void);

#endif
