#!/usr/bin/env bash
# Installs what harness/images/ builds images with, from Debian, only if missing:
#   buildah     builds the Dockerfiles (daemonless; chroot isolation, so no runc or crun)
#   mmdebstrap  makes the Debian root file system of the base images
#   skopeo      reads the OCI archives back (images.integ.test.ts)
# Needs root (the tests run as root on the project's machines).
set -euo pipefail

log() { printf '[images] %s\n' "$*" >&2; }

missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v skopeo >/dev/null || missing+=(skopeo)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  log "cannot install ${missing[*]}: needs root and apt-get (Debian); install them by hand"
  exit 1
fi
log "installing ${missing[*]} from Debian"
# An apt-get update only when the package lists do not know the packages yet.
if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
