#!/usr/bin/env bash
# Installs Debian's chromium (headless browser tests drive it with playwright-core) when it is
# missing. Playwright's own browser downloads cannot work here: only package registries are
# reachable. Root is needed (apt-get); about 30 s the first time.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing and installing it needs root: apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet.
if ! apt-get install -y --no-install-recommends chromium fonts-liberation >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y --no-install-recommends chromium fonts-liberation >/dev/null
fi
command -v chromium >/dev/null
