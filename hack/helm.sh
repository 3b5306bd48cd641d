#!/usr/bin/env bash
# helm.sh builds helm from Go modules into a per-version cache outside the
# clone and prints its path. Nothing is fetched except through the Go
# module proxy.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CACHE="${KUBEDHCP_CACHE:-${HOME}/.cache/kubedhcp}"
out="${CACHE}/bin/helm-${HELM_VERSION}"
if [[ ! -x "${out}" ]]; then
  src="${CACHE}/src/helm-${HELM_VERSION}"
  echo "helm: building helm ${HELM_VERSION} in ${src}" >&2
  rm -rf "${src}" && mkdir -p "${src}" "$(dirname "${out}")" && cd "${src}"
  printf 'module kubedhcp.local/helm\n\ngo 1.26\n' > go.mod
  go get "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2
  CGO_ENABLED=0 go build -trimpath -o "${out}.tmp" helm.sh/helm/v3/cmd/helm
  mv "${out}.tmp" "${out}"
fi
echo "${out}"
