#!/usr/bin/env bash
# Installs the Debian packages the real node needs and the Go build does not give:
#   runc                         the OCI runtime containerd's shim calls (upstream runc needs
#                                cgo and libseccomp, so it is not built from the Go proxy)
#   containernetworking-plugins  bridge, host-local, loopback, portmap in /usr/lib/cni
#   iptables                     the bridge plugin's masquerade rules, the kubelet, kube-proxy
#   openssl                      the certificates of the kubelet's authenticated port
#   busybox-static               a shell and coreutils in one static file, for test images
# Only the missing ones, with --no-install-recommends. Needs root. Silent when everything
# is there; says what it does on stderr otherwise.
set -euo pipefail

packages=(runc containernetworking-plugins iptables openssl busybox-static)
log() { printf '[node] %s\n' "$*" >&2; }

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ $status == ii* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  log "missing Debian packages (${missing[*]}), and installing them needs root"
  exit 1
fi
started=$SECONDS
log "installing ${missing[*]} (apt-get update first)"
export DEBIAN_FRONTEND=noninteractive
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$out" 2>&1; then
  tail -n 20 "$out" >&2
  log "apt-get failed (its last lines are above)"
  exit 1
fi
log "installed ${missing[*]} in $((SECONDS - started)) s"
