# kubedhcp: a Kubernetes-native DHCPv4 server and IPAM controller.
# `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

GO ?= go
CONTROLLER_GEN ?= $(GO) tool controller-gen
GOLANGCI_LINT ?= $(GO) tool -modfile=hack/tools/go.mod golangci-lint
# Directories whose files are generated; `make verify` fails when they drift.
GENERATED := api config/crd config/rbac/role.yaml config/ipam/role.yaml config/capi test/testdata/capi test/testdata/externaldns charts/kubedhcp/crds charts/kubedhcp/files docs/api.md

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: ## Generate the CRDs (config/crd/bases) and the manager's RBAC role (config/rbac) from the code.
	$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=kubedhcp-manager paths="./controllers;./controllers/decode;./controllers/dnsrecords;./controllers/elect;./controllers/leasestore;./controllers/membership;./controllers/translate" output:rbac:artifacts:config=config/rbac
	@# Cluster API claims: a role of their own, granted only when IPAM is on.
	$(CONTROLLER_GEN) rbac:roleName=kubedhcp-ipam paths="./controllers/ipam" output:rbac:artifacts:config=config/ipam
	@# Cluster API's IPAM CRDs, generated from its Go module (sigs.k8s.io/cluster-api/api in go.mod), for
	@# the tests' apiserver and for clusters without Cluster API; the Cluster CRD too, for its paused flag.
	$(CONTROLLER_GEN) crd paths="sigs.k8s.io/cluster-api/api/ipam/..." output:crd:artifacts:config=config/capi
	$(CONTROLLER_GEN) crd paths="sigs.k8s.io/cluster-api/api/core/v1beta2" output:crd:artifacts:config=/tmp/kubedhcp-capi-core
	cp /tmp/kubedhcp-capi-core/cluster.x-k8s.io_clusters.yaml test/testdata/capi/ && rm -rf /tmp/kubedhcp-capi-core
	@# ExternalDNS's DNSEndpoint CRD, from its Go module, for the tests' apiserver (ExternalDNS installs its own).
	$(CONTROLLER_GEN) crd paths="sigs.k8s.io/external-dns/apis/v1alpha1" output:crd:artifacts:config=/tmp/kubedhcp-externaldns
	cp /tmp/kubedhcp-externaldns/externaldns.k8s.io_dnsendpoints.yaml test/testdata/externaldns/ && rm -rf /tmp/kubedhcp-externaldns
	@# The chart carries the same CRDs and RBAC rules, copied from one source.
	cp config/crd/bases/*.yaml charts/kubedhcp/crds/
	sed -n '/^rules:/,$$p' config/rbac/role.yaml | tail -n +2 > charts/kubedhcp/files/rbac-rules.yaml
	sed -n '/^rules:/,$$p' config/ipam/role.yaml | tail -n +2 > charts/kubedhcp/files/ipam-rbac-rules.yaml

.PHONY: generate
generate: docs ## Generate DeepCopy methods for the API types, and the API reference.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: docs
docs: ## Generate the API reference docs/api.md from the Go types (crd-ref-docs, pinned in hack/tools/docs).
	@$(GO) tool -modfile=hack/tools/docs/go.mod crd-ref-docs --source-path=./api/v1alpha1 --config=hack/crd-ref-docs.yaml \
		--renderer=markdown --output-path=docs/api.md --log-level=WARN

.PHONY: fmt
fmt: ## Run go fmt.
	$(GO) fmt ./...

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: lint
lint: ## Run golangci-lint (pinned in hack/tools/go.mod), including the depguard import rules.
	$(GOLANGCI_LINT) run ./...

.PHONY: lint-fix
lint-fix: ## Run golangci-lint and apply its fixes.
	$(GOLANGCI_LINT) run --fix ./...

.PHONY: verify
verify: manifests generate ## Regenerate everything, then fail if any generated file differs from git.
	@git add -N $(GENERATED) >/dev/null 2>&1 || true
	@if ! git diff --exit-code --stat -- $(GENERATED); then \
		echo "generated files are out of date: run 'make generate manifests' and commit the result"; exit 1; fi

.PHONY: helm
helm: ## Build helm from Go modules into ~/.cache/kubedhcp and print its path.
	@hack/helm.sh

.PHONY: control-plane
control-plane: ## Build etcd, kube-apiserver and kubectl from Go modules into ~/.cache/kubedhcp and print the directory.
	@hack/control-plane.sh

.PHONY: test
test: manifests generate vet ## Run every test: unit, envtest suites on a real kube-apiserver and etcd, e2e with real DHCP clients, then the HA tests alone (root).
	@hack/install-clients.sh
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" $(GO) test -count=1 $$($(GO) list ./... | grep -v /test/ha$$)
	$(MAKE) --no-print-directory test-ha

.PHONY: test-ha
test-ha: ## As root, about 7 minutes, alone on the machine: replicas killed, cut off, restarted, the apiserver down 2 min (part of make test).
	@hack/install-clients.sh
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" $(GO) test -count=1 -v ./test/ha/

.PHONY: test-e2e
test-e2e: ## As root: real dhclient, dhcpcd and udhcpc, direct and through dhcrelay, in network namespaces (part of make test).
	@hack/install-clients.sh
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" $(GO) test -count=1 -v ./test/e2e/

.PHONY: ci
ci: verify lint test ## What CI runs: verify, lint, test.

##@ Benchmarks

BENCH_ARGS ?=

.PHONY: bench
bench: build ## As root, about 10 minutes: kubedhcp (memory and Lease store) against Kea (memfile, PostgreSQL) with perfdhcp; renewals; start-up with 100,000 Leases; profiles. BENCH_ARGS passes flags (go run ./test/bench/compare -h).
	@hack/control-plane.sh >/dev/null
	@hack/install-clients.sh kea-dhcp4-server kea-admin postgresql
	$(GO) build -o bin/kubedhcp-bench ./test/bench/compare
	bin/kubedhcp-bench -kubedhcp bin/kubedhcp -out bin/bench-results $(BENCH_ARGS)
	$(MAKE) bench-go

.PHONY: bench-go
bench-go: ## Go benchmarks of the engine (DORA, renewal, with and without rate limits) and of rebuilding the configuration with 5,000 Reservations.
	$(GO) test -run '^$$' -bench 'EngineDORA|EngineRenewal|Build5000' -benchmem ./dhcpserver/engine/ ./controllers/

.PHONY: flood
flood: build ## As root, about 2 minutes: perfdhcp floods a 512-address pool with 5,000 MACs while reserved and bound clients renew (rate limits on).
	@hack/control-plane.sh >/dev/null
	@hack/install-clients.sh kea-admin
	$(GO) build -o bin/kubedhcp-bench ./test/bench/compare
	bin/kubedhcp-bench -kubedhcp bin/kubedhcp -out bin/flood-results -servers "" -renew-clients 0 -startup-leases 0 -profile=false -flood

##@ Demo

.PHONY: demo
demo: build ## As root: a real control plane, the samples, kubedhcp and two dhclients in network namespaces; prints the Leases; Ctrl-C cleans up.
	@hack/control-plane.sh >/dev/null
	@hack/install-clients.sh
	$(GO) build -o bin/kubedhcp-demo ./test/demo
	bin/kubedhcp-demo -kubedhcp bin/kubedhcp

.PHONY: demo-kubectl
demo-kubectl: ## As root, while make demo runs: kubectl against the demo's control plane, e.g. make demo-kubectl ARGS='get dhcp -n demo'.
	@ip netns exec kubedhcp-demo-server "$$(hack/control-plane.sh)/kubectl" --kubeconfig /tmp/kubedhcp-demo/kubeconfig $(ARGS)

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary into bin/kubedhcp.
	$(GO) build -o bin/kubedhcp ./cmd/kubedhcp

# Image version and platforms of make image.
VERSION ?= $(shell sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' charts/kubedhcp/Chart.yaml)
PLATFORMS ?= linux/amd64 linux/arm64

.PHONY: image
image: ## Build the image without Docker or a base image: bin/kubedhcp-image.tar, an OCI archive for podman load or ctr images import (PLATFORMS, VERSION).
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; \
		echo "building $$p"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags="-s -w" -o bin/kubedhcp-$$os-$$arch ./cmd/kubedhcp || exit 1; \
	done
	cd hack/image && SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) $(GO) run . -tag $(VERSION) -out ../../bin/kubedhcp-image.tar $(foreach p,$(PLATFORMS),-binary $(p)=../../bin/kubedhcp-$(subst /,-,$(p)))

.PHONY: run
run: manifests generate ## Run the manager from your host against the cluster your KUBECONFIG names (as root, for port 67); ARGS=... adds flags.
	$(GO) run ./cmd/kubedhcp $(ARGS)
