#!/bin/sh
# Copies the fake opencode into $TOOLS_DIR (the shared tools volume of a Task Pod).
set -eu
tools_dir=${TOOLS_DIR:-/tools}
source=${ECHO_AGENT:-/opt/echo/opencode}
if [ ! -d "$tools_dir" ]; then
  echo "copy-tools: $tools_dir does not exist (mount the tools volume there)" >&2
  exit 1
fi
cp "$source" "$tools_dir/opencode"
chmod 0755 "$tools_dir/opencode"
echo "copy-tools: installed the echo agent as $tools_dir/opencode"
