/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests' filter for the mixer's log (see mixer-log.h). */
#include "mixer-log.h"

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  GLogLevelFlags quiet = (GLogLevelFlags)GPOINTER_TO_UINT (user_data);

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0 &&
        g_str_equal (fields[i].value, "mcu-mixer") && (level & quiet))
      return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, NULL);
}

void
mixer_log_quiet (GLogLevelFlags levels)
{
  g_log_set_writer_func (quiet_writer, GUINT_TO_POINTER (levels), NULL);
}
