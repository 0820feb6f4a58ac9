#!/bin/sh
# layer_view.sh VIEW SRC FOLDER...: make VIEW a directory that holds one
# symlink per FOLDER, to SRC/FOLDER, and nothing else. A layer compiled
# with -IVIEW (meson.build) finds the headers of the folders it may use
# and no other: #include "store/store.h" from src/http/ does not compile.
set -eu

if [ $# -lt 3 ]; then
	echo "usage: layer_view.sh VIEW SRC FOLDER..." >&2
	exit 2
fi

view=$1
src=$2
shift 2
rm -rf "$view"
mkdir -p "$view"
for f in "$@"; do
	ln -s "$src/$f" "$view/$f"
done
