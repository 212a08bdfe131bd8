/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: where the voice prompts are. A prompt NAME is the file NAME.wav in
 * the room's prompt directory ([room:NAME] prompts=), else in [prompts]
 * dir=, else in the installed set (${datadir}/mcu/prompts/en; a build-tree
 * run without an installed set uses the source tree's prompts/en). */
#pragma once

#include "mcu-config.h"
#include "mcu-rooms.h"

G_BEGIN_DECLS

/* The names of the shipped set (NULL-terminated). */
const gchar *const *mcu_prompts_names (void);

/* Whether @name can name a prompt: 1-64 of a-z 0-9 - _ (no path). */
gboolean mcu_prompts_is_valid_name (const gchar *name);

/* (transfer full) The prompt directory used when [prompts] dir= is not set. */
gchar *mcu_prompts_default_dir (void);

/* (transfer full) (nullable) The file of prompt @name for @room (nullable:
 * the global set), NULL when @name is invalid or no such file exists. */
gchar *mcu_prompts_path (
    const McuConfig *config, McuRoom *room, const gchar *name);

/* (transfer full) (nullable) A WAV file given by its path @relative to the
 * room's (or the global) prompt directory: no absolute paths, no "..",
 * ending in .wav; NULL when invalid or missing. */
gchar *mcu_prompts_file (
    const McuConfig *config, McuRoom *room, const gchar *relative);

/* Config load: makes [prompts] dir= and every [room:NAME] prompts= absolute
 * (relative to the config file's directory) and checks that they are
 * directories (an error naming file, group and key). */
gboolean mcu_prompts_check_config (
    McuConfig *config, const gchar *file, GError **error);

/* Logs (a warning, once per directory) which of the shipped names are
 * missing from the global set and from each room's directory. Returns the
 * number missing from the global set. */
guint mcu_prompts_log_missing (const McuConfig *config);

G_END_DECLS
