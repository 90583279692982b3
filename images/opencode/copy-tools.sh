#!/bin/sh
# Copies the opencode binary into $TOOLS_DIR (the shared tools volume of a Task Pod).
set -eu
tools_dir=${TOOLS_DIR:-/tools}
source=${OPENCODE_BINARY:-/opt/opencode/opencode}
if [ ! -d "$tools_dir" ]; then
  echo "copy-tools: $tools_dir does not exist (mount the tools volume there)" >&2
  exit 1
fi
cp "$source" "$tools_dir/opencode.partial"
chmod 0755 "$tools_dir/opencode.partial"
mv "$tools_dir/opencode.partial" "$tools_dir/opencode"
echo "copy-tools: installed $tools_dir/opencode"
