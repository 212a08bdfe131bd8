#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# meson install script: installs a configuration file only if none is there
# yet, so that `meson install` never overwrites an operator's edits.
# Usage: install-config.sh SOURCE DEST-DIR NAME MODE
set -eu
src=$1
dir=${DESTDIR:-}$2
dest=$dir/$3
if [ -e "$dest" ]; then
  echo "Keeping $dest (not overwritten; the default is $src)"
  exit 0
fi
install -d -m 0755 "$dir"
install -m "$4" "$src" "$dest"
echo "Installing $src to $dest"
