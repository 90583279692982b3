#!/usr/bin/env bash
# Installs the Debian packages the e2e tests' servers need, only when missing:
#   openssh-server   sshd, run by the harness on a free port with its own configuration and
#                    host key (sshd.ts): the SSH Git server that Task Pods clone from
# Debian's package would start its own sshd on port 22 where an init system runs: a
# policy-rc.d that forbids starting services is in place while it installs (unless the
# machine has one already, as container images do), so nothing starts and nothing stays.
# Needs root. Silent when everything is there; says what it does on stderr otherwise.
set -euo pipefail

packages=(openssh-server)
log() { printf '[e2e] %s\n' "$*" >&2; }

find_missing() {
  missing=()
  for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == ii* ]] || missing+=("$p")
  done
}
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  log "missing Debian packages (${missing[*]}); installing them needs root and apt-get"
  exit 1
fi
# Test files start their servers in parallel: one installs, the others wait and find it done.
exec 9>/run/kubeopencode-e2e-packages.lock
flock -w 300 9
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0
started=$SECONDS
policy=/usr/sbin/policy-rc.d
out=$(mktemp)
cleanup() { rm -f "$out"; [ -n "${own_policy:-}" ] && rm -f "$policy"; return 0; }
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  own_policy=1
  printf '#!/bin/sh\n# kubeopencode harness/e2e/install-packages.sh: no service starts while it installs\nexit 101\n' > "$policy"
  chmod 0755 "$policy"
fi
log "installing ${missing[*]} (no service is started)"
export DEBIAN_FRONTEND=noninteractive
# An apt-get update only when the package lists do not know the packages yet.
if ! { { apt-cache show "${missing[@]}" >/dev/null 2>&1 || apt-get update -qq; } \
    && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$out" 2>&1; then
  tail -n 20 "$out" >&2
  log "apt-get failed (its last lines are above)"
  exit 1
fi
log "installed ${missing[*]} in $((SECONDS - started)) s"
