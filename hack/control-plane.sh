#!/usr/bin/env bash
# control-plane.sh builds kube-apiserver, kubectl and etcd from Go modules into a
# per-version cache outside the clone, and prints the directory to use as
# KUBEBUILDER_ASSETS. Nothing is fetched except through the Go module proxy.
#
# Usage: hack/control-plane.sh            # build if missing, print the dir
#        KUBE_VERSION=v1.37.2 ETCD_VERSION=v3.7.3 hack/control-plane.sh
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
CACHE="${KUBEDHCP_CACHE:-${HOME}/.cache/kubedhcp}"
ASSETS="${CACHE}/assets/kube-${KUBE_VERSION}-etcd-${ETCD_VERSION}"

log() { echo "control-plane: $*" >&2; }

# staging_version maps kubernetes v1.X.Y to its staging modules' v0.X.Y.
staging_version() { echo "v0.${1#v1.}"; }

# kube_wrapper prepares a module that requires k8s.io/kubernetes with every
# staging module replaced by its published version, and cds into it.
kube_wrapper() {
  local src="${CACHE}/src/kubernetes-${KUBE_VERSION}"
  local sv; sv="$(staging_version "${KUBE_VERSION}")"
  if [[ -f "${src}/.ready" ]]; then cd "${src}"; return; fi
  log "preparing a wrapper module for kubernetes ${KUBE_VERSION} (staging ${sv}) in ${src}"
  rm -rf "${src}" && mkdir -p "${src}" && cd "${src}"
  printf 'module kubedhcp.local/kube-apiserver\n\ngo 1.26\n' > go.mod
  go mod download k8s.io/kubernetes@"${KUBE_VERSION}"
  local kmod; kmod="$(go mod download -json k8s.io/kubernetes@"${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  # Every staging module kubernetes replaces with ./staging/... gets the
  # published module of the matching version instead.
  local mods; mods="$(grep -E '^\s*k8s\.io/[A-Za-z0-9._-]+ => \./staging/' "${kmod}" | awk '{print $1}')"
  local n=0
  for m in ${mods}; do go mod edit -replace="${m}=${m}@${sv}"; n=$((n+1)); done
  log "replaced ${n} staging modules"
  go mod edit -require=k8s.io/kubernetes@"${KUBE_VERSION}"
  go get k8s.io/kubernetes/cmd/kube-apiserver@"${KUBE_VERSION}" k8s.io/kubernetes/cmd/kubectl@"${KUBE_VERSION}"
  touch .ready
}

# build_kube builds one command of k8s.io/kubernetes/cmd into dir $2.
build_kube() {
  local cmd="$1" out="$2"
  kube_wrapper
  log "building ${cmd} ${KUBE_VERSION}"
  CGO_ENABLED=0 go build -trimpath -o "${out}/${cmd}" "k8s.io/kubernetes/cmd/${cmd}"
}

build_etcd() {
  local out="$1" src="${CACHE}/src/etcd-${ETCD_VERSION}"
  log "building etcd ${ETCD_VERSION} in ${src}"
  rm -rf "${src}" && mkdir -p "${src}" && cd "${src}"
  printf 'module kubedhcp.local/etcd\n\ngo 1.26\n' > go.mod
  go get go.etcd.io/etcd/server/v3@"${ETCD_VERSION}"
  CGO_ENABLED=0 go build -trimpath -o "${out}/etcd" go.etcd.io/etcd/server/v3
}

main() {
  mkdir -p "${ASSETS}"
  if [[ ! -x "${ASSETS}/etcd" ]]; then
    local tmp; tmp="$(mktemp -d "${ASSETS}.XXXX")"
    ( build_etcd "${tmp}" ) && mv "${tmp}/etcd" "${ASSETS}/etcd"; rm -rf "${tmp}"
  fi
  for cmd in kube-apiserver kubectl; do
    if [[ ! -x "${ASSETS}/${cmd}" ]]; then
      local tmp; tmp="$(mktemp -d "${ASSETS}.XXXX")"
      ( build_kube "${cmd}" "${tmp}" ) && mv "${tmp}/${cmd}" "${ASSETS}/${cmd}"; rm -rf "${tmp}"
    fi
  done
  for bin in etcd kube-apiserver kubectl; do
    [[ -x "${ASSETS}/${bin}" ]] || { log "building ${bin} failed"; exit 1; }
  done
  echo "${ASSETS}"
}

main "$@"
