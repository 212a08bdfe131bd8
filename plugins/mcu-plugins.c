/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mcu-plugins.h"

gboolean
mcu_plugins_register (void)
{
  return TRUE;
}
