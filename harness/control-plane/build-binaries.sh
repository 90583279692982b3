#!/usr/bin/env bash
# Builds the real control-plane binaries the tests run against (kube-apiserver,
# kube-controller-manager, etcd, helm), the real node's (kubelet, kube-scheduler,
# kube-proxy, kubectl, containerd, containerd-shim-runc-v2, ctr, and the node's own
# static helpers in harness/node/cmd: the Pod sandbox `pause` and a test probe) and
# argo-events-trigger (Argo Events' Sensor code run on one event:
# tools/argo-events/main.go) from the pinned Go tool modules in
# harness/control-plane/tools/, into a cache outside the repository. runc and the CNI
# plugins come from Debian (harness/node/install-packages.sh): upstream runc needs cgo
# and libseccomp.
#
# Each tool module gets its own cache folder keyed by the hash of its go.mod and
# go.sum (and its own Go source, if any) plus the Go version, so a pin change
# rebuilds only that tool and a second run reuses everything. Prints the folder
# holding all binaries last.
#
#   KUBEOPENCODE_CACHE   cache root (default: ~/.cache/kubeopencode)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tools="$here/tools"
cache_root=${KUBEOPENCODE_CACHE:-$HOME/.cache/kubeopencode}
bin_dir="$cache_root/bin"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { printf '[build-binaries] %s\n' "$*" >&2; }

command -v go >/dev/null || { log "Go is not installed; it is needed to build the control plane"; exit 1; }
go_version=$(go env GOVERSION)

# key_of MODULE_DIR -> short hash of go.mod + go.sum (a module without dependencies has
# none) + the module's own .go files (tools/argo-events, harness/node/cmd) + Go version
key_of() {
  {
    cat "$1/go.mod"
    if [ -f "$1/go.sum" ]; then cat "$1/go.sum"; fi
    find "$1" -name '*.go' -print0 | sort -z | xargs -0r cat
    echo "$go_version"
  } | sha256sum | cut -c1-12
}

# version_of MODULE_DIR MODULE_PATH -> the pinned version from go.mod
version_of() {
  awk -v m="$2" '$1 == m { print $2; exit }' "$1/go.mod"
}

# [tags=...] build_tool NAME MODULE_DIR LDFLAGS BINARY=PACKAGE... : builds each package as
# BINARY into the keyed folder (unless all are there already) and links it into $bin_dir.
# The key does not cover ldflags or tags: change one together with go.mod.
build_tool() {
  local name=$1 dir=$2 ldflags=$3; shift 3
  local out="$cache_root/$name-$(key_of "$dir")"
  local missing=0 pair
  for pair in "$@"; do [ -x "$out/${pair%%=*}" ] || missing=1; done
  if [ "$missing" = 1 ]; then
    local started=$SECONDS
    log "building $name into $out (cold: several minutes on 2 cores; Go prints nothing while it compiles)"
    rm -rf "$out.partial" && mkdir -p "$out.partial"
    (cd "$dir" && go mod download)
    for pair in "$@"; do
      log "  go build ${pair#*=}"
      local one=$SECONDS
      (cd "$dir" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$out.partial/${pair%%=*}" "${pair#*=}")
      log "  built ${pair%%=*} in $((SECONDS - one)) s"
    done
    rm -rf "$out" && mv "$out.partial" "$out"
    log "built $name in $((SECONDS - started)) s"
  else
    log "reusing $name from $out"
  fi
  mkdir -p "$bin_dir"
  for pair in "$@"; do ln -sfn "$out/${pair%%=*}" "$bin_dir/${pair%%=*}"; done
}

k8s_dir="$tools/kubernetes"
k8s_version=$(version_of "$k8s_dir" k8s.io/kubernetes)
k8s_minor=$(echo "$k8s_version" | cut -d. -f2)
# The apiserver derives its binary/emulation version from these; kubectl and
# clients read them from /version.
k8s_ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ld="$k8s_ld -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean"
done

helm_dir="$tools/helm"
helm_version=$(version_of "$helm_dir" helm.sh/helm/v3)
# Without these, `helm template` assumes Kubernetes v1.20.
helm_ld="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
helm_ld="$helm_ld -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor"

containerd_dir="$tools/containerd"
containerd_version=$(version_of "$containerd_dir" github.com/containerd/containerd/v2)
containerd_ld="-s -w -X github.com/containerd/containerd/v2/version.Version=$containerd_version"

# One build at a time per cache: two runs (two `npm test`s, or tests started while
# a build runs) would otherwise write the same .partial folder and lose the result.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  log "another build of the control plane holds $cache_root/.build.lock; waiting for it"
  flock 9
fi

total=$SECONDS
build_tool etcd "$tools/etcd" "-s -w" etcd=go.etcd.io/etcd/server/v3
build_tool helm "$helm_dir" "$helm_ld" helm=helm.sh/helm/v3/cmd/helm
build_tool kubernetes "$k8s_dir" "$k8s_ld" \
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
  kubelet=k8s.io/kubernetes/cmd/kubelet \
  kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
  kube-proxy=k8s.io/kubernetes/cmd/kube-proxy \
  kubectl=k8s.io/kubernetes/cmd/kubectl
# containerd 2.x, not Debian 12's 1.6: 1.6 lacks the CRI RuntimeConfig call through which
# the kubelet learns the cgroup driver, and kubelet 1.38 removes the fallback to its own
# setting. The graph drivers that need cgo are left out (overlayfs is the snapshotter).
tags="no_btrfs no_zfs no_devmapper" build_tool containerd "$containerd_dir" "$containerd_ld" \
  containerd=github.com/containerd/containerd/v2/cmd/containerd \
  containerd-shim-runc-v2=github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
  ctr=github.com/containerd/containerd/v2/cmd/ctr
# The node's own static programs; their images are assembled at node start (harness/node/images.ts).
build_tool node-cmd "$here/../node/cmd" "-s -w" kubeopencode-pause=./pause kubeopencode-apiprobe=./apiprobe
# The module's own main package (its key covers main.go too).
build_tool argo-events "$tools/argo-events" "-s -w" argo-events-trigger=.
log "control-plane binaries ready in $((SECONDS - total)) s"
echo "$bin_dir"
