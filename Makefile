# Targets SAM calls (BuildMethod: makefile) and the ones people use.
# `make help` lists them.

# The functions run on arm64. Only `make ... GOARCH=amd64` on the command
# line changes that: a GOARCH left in someone's environment must not make
# `sam build` ship an x86 binary.
ifneq ($(origin GOARCH),command line)
GOARCH := arm64
endif
PORT ?= 3000
# make dev listens on loopback; only `make dev HOST=...` on the command line
# changes that (a HOST in the environment is often just the machine's name).
ifneq ($(origin HOST),command line)
HOST := 127.0.0.1
endif
FN ?= token
EVENT ?= events/$(FN).json
DIST := dist

# Static, stripped, reproducible: what Lambda's provided.al2023 runs.
GO_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build -trimpath -buildvcs=false \
	-tags lambda.norpc -ldflags "-s -w -buildid="

.PHONY: help build-SignupFunction build-TokenFunction build-MeFunction build-AccountFunction build test lint dev invoke deploy clean
.PHONY: bench bench-bin bench-build bench-size bench-coldstart bench-network bench-warm

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

build-SignupFunction: ## (sam build) bootstrap for POST /signup into ARTIFACTS_DIR
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/signup

build-TokenFunction: ## (sam build) bootstrap for POST /token into ARTIFACTS_DIR
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/token

build-MeFunction: ## (sam build) bootstrap for GET /me into ARTIFACTS_DIR
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/me

build-AccountFunction: ## (sam build) bootstrap for DELETE /me and POST /me/verification-email into ARTIFACTS_DIR
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/account

build: ## every bootstrap into dist/<fn>/ (GOARCH=amd64 to override)
	$(MAKE) build-SignupFunction ARTIFACTS_DIR=$(DIST)/signup
	$(MAKE) build-TokenFunction ARTIFACTS_DIR=$(DIST)/token
	$(MAKE) build-MeFunction ARTIFACTS_DIR=$(DIST)/me
	$(MAKE) build-AccountFunction ARTIFACTS_DIR=$(DIST)/account

test: ## all tests, with the race detector (starts moto_server itself)
	go test -race -count=1 ./...

lint: ## go vet, gofmt, cfn-lint, OpenAPI validation
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	cfn-lint template.yaml
	openapi-spec-validator api/openapi.yaml

dev: ## serve the API on http://127.0.0.1:$(PORT) and the browser client on :3001 (WEB_PORT) (HOST=0.0.0.0 for the LAN; embedded Auth0 emulator unless AUTH0_* is set; MFA=required asks every login for a second factor)
	@go build -o $(DIST)/host/dev ./cmd/dev
	@# exec: the server is make's own child, so stopping make stops it.
	exec env HOST='$(HOST)' PORT='$(PORT)' MFA='$(MFA)' DEV_STOP_WITH_PARENT=1 $(DIST)/host/dev

HOST_GOARCH := $(shell go env GOARCH)
FUNCTION = $(if $(filter token,$(FN)),TokenFunction,$(if $(filter signup,$(FN)),SignupFunction,$(if $(filter me,$(FN)),MeFunction,$(if $(filter account,$(FN)),AccountFunction,$(error FN must be signup, token, me or account)))))

invoke: ## run the real bootstrap once with EVENT under AWS's Runtime Interface Emulator, against emulated Auth0 + Secrets Manager (FN=signup|token|me|account)
	@$(MAKE) --no-print-directory build-$(FUNCTION) ARTIFACTS_DIR=$(DIST)/host/$(FN) GOARCH=$(HOST_GOARCH)
	GOARCH=$(HOST_GOARCH) go run ./cmd/dev -invoke -function $(FUNCTION) -bootstrap $(DIST)/host/$(FN)/bootstrap -event $(EVENT) -env-file env.json

deploy: ## sam build && sam deploy, with samconfig.local.toml if it exists (needs the sam CLI and AWS credentials)
	sam build && sam deploy $(if $(wildcard samconfig.local.toml),--config-file samconfig.local.toml)

# Benchmarks (BENCHMARKS.md). Binaries go to $(BENCH)/<arch>/<name>/bootstrap,
# built by the same $(GO_BUILD) as the functions; the output is also kept in
# bench/results/latest.txt.
BENCH := $(DIST)/bench
BENCH_HOST = $(shell go env GOHOSTARCH)
BENCH_PKGS := signup=./functions/signup token=./functions/token hello=./bench/hello sdkprobe=./bench/sdkprobe

bench: ## every performance figure: size, cold start (loopback and realistic network), memory, connections, Python, warm overhead
	@mkdir -p bench/results
	@{ $(MAKE) --no-print-directory -s bench-size && \
	   $(MAKE) --no-print-directory -s bench-coldstart && \
	   $(MAKE) --no-print-directory -s bench-warm; echo $$? >bench/results/.status; } 2>&1 | tee bench/results/latest.txt
	@exit $$(cat bench/results/.status)

bench-bin: # one bootstrap: PKG into ARTIFACTS_DIR for GOARCH
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap $(PKG)

bench-build: # the four bootstraps for BENCH_ARCH into $(BENCH)/$(BENCH_ARCH)
	@for p in $(BENCH_PKGS); do \
		$(MAKE) --no-print-directory -s bench-bin PKG=$${p#*=} ARTIFACTS_DIR=$(BENCH)/$(BENCH_ARCH)/$${p%%=*} GOARCH=$(BENCH_ARCH) || exit 1; \
	done

bench-size: ## stripped and zipped linux/arm64 bootstrap sizes vs the baselines
	@$(MAKE) --no-print-directory -s bench-build BENCH_ARCH=arm64
	@go run ./bench/size $(BENCH)/arm64

bench-coldstart: ## under the RIE: cold start, init phases, peak RSS, Auth0 connections, Python floor, realistic network (host arch)
	@$(MAKE) --no-print-directory -s bench-build BENCH_ARCH=$(BENCH_HOST)
	@GOARCH=$(BENCH_HOST) go run ./bench/coldstart -bin $(BENCH)/$(BENCH_HOST)

bench-network: ## only the cold starts over TLS with AUTH0_RTT (20ms) and SM_RTT (10ms) of latency, NET_N rounds
	@$(MAKE) --no-print-directory -s bench-build BENCH_ARCH=$(BENCH_HOST)
	@GOARCH=$(BENCH_HOST) go run ./bench/coldstart -bin $(BENCH)/$(BENCH_HOST) -n 0 -warm 0 \
		-net-n $(or $(NET_N),30) -auth0-rtt $(or $(AUTH0_RTT),20ms) -sm-rtt $(or $(SM_RTT),10ms)

bench-warm: ## per-invocation overhead of each handler: go test -bench, median of 5
	@go test -run '^$$' -bench . -benchmem -count 5 ./internal/api/ | go run ./bench/benchsum

clean: ## remove build outputs
	rm -rf $(DIST) .aws-sam
