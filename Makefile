# glpi-agentd: the agent and the enrollment service.
# `make demo` shows the product end to end; `make test` is what CI runs.

GO        ?= go
VERSION   ?= $(shell scripts/version.sh)
LDFLAGS   := -s -w -X github.com/glpi-agentd/glpi-agentd/agent.Version=$(VERSION)
GOFLAGS   := -trimpath
BIN       := bin
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
export CGO_ENABLED=0

.PHONY: all build test test-skipped test-cross vet lint check demo bench cross fuzz clean package msi-smoke

all: build

## build: both binaries into bin/
build:
	$(GO) build $(GOFLAGS) -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/glpi-agentd ./cmd/glpi-enrolld

## test: vet, unit and end-to-end tests, every fuzz target briefly, and the
## Windows and macOS test builds; says first and last what this machine skips
test: vet
	@$(MAKE) --no-print-directory test-skipped
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags loadtest -run TestLoad ./scripts/loadtest/
	scripts/fuzz.sh $(CI_FUZZTIME)
	$(MAKE) test-cross
	@$(MAKE) --no-print-directory test-skipped

## test-skipped: what `make test` does not run here, and how to run it
test-skipped:
	@if [ -z "$$GLPI_ENROLLD_TEST_DATABASE" ]; then \
		echo "skipped: the PostgreSQL suites (enroll/store, enroll/server, cmd/glpi-enrolld) and the load test's pg2 mode:"; \
		echo "  set GLPI_ENROLLD_TEST_DATABASE=postgres://USER:PASSWORD@127.0.0.1:5432/DB?sslmode=disable"; \
		echo "  (a database the tests may create schemas in; .ci/run makes one)"; \
	fi
	@if [ "$$TEST_PACKAGE_INSTALL" != 1 ] || [ "$$(id -u)" != 0 ]; then \
		echo "skipped: packaging TestInstall, which installs, upgrades and purges the deb and rpm on this machine:"; \
		echo "  as root on a machine you can spare, set TEST_PACKAGE_INSTALL=1 (see .ci/run)"; \
	fi
	@echo "tests also skip where a tool is missing (rpm, wixl, msitools, wine64…); every skip and its reason:"
	@echo "  go test -count=1 -v ./... | grep -A1 -- '--- SKIP'"

## test-cross: compile every test for Windows and macOS without running it
test-cross:
	GOOS=windows GOARCH=amd64 $(GO) test -count=1 -exec=true ./... >/dev/null
	GOOS=darwin GOARCH=arm64 $(GO) test -count=1 -exec=true ./... >/dev/null
	@echo "cross test builds: ok"

vet:
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	$(GO) vet -tags loadtest ./scripts/loadtest/

## lint: gofmt, vet and staticcheck (pinned)
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) -tags loadtest ./...

## check: everything CI would refuse
check: lint test cross

## demo: build, then show the product end to end on this machine (needs python3 and curl)
demo: build
	@scripts/demo.sh

## bench: end-to-end and Go benchmarks, printed side by side
bench: build
	@scripts/bench.sh

## cross: release builds for linux, windows and darwin on amd64 and arm64
cross:
	@for os in linux windows darwin; do for arch in amd64 arm64; do \
		ext=; [ $$os = windows ] && ext=.exe; \
		for cmd in glpi-agentd glpi-enrolld; do \
			GOOS=$$os GOARCH=$$arch $(GO) build $(GOFLAGS) -ldflags "$(LDFLAGS)" -o dist/$$os-$$arch/$$cmd$$ext ./cmd/$$cmd || exit 1; \
		done; echo "built dist/$$os-$$arch"; done; done

## fuzz: run every fuzz target for FUZZTIME each (make test runs them for CI_FUZZTIME)
FUZZTIME ?= 10s
CI_FUZZTIME ?= 3s
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

## package: agent deb, rpm and x64 MSI, glpi-enrolld deb and rpm into dist/; SERVER=URL REGISTRATION_KEY_FILE=FILE
## embed them in the agent's (named *_key-<key id>.*), SERVER=URL [TAG=T] without a key for direct mode;
## inputs that could never enroll are refused (see docs/packaging.md)
package:
	VERSION="$(VERSION)" SERVER="$(SERVER)" REGISTRATION_KEY_FILE="$(REGISTRATION_KEY_FILE)" TAG="$(TAG)" \
		SIGN_CERT="$(SIGN_CERT)" SIGN_KEY="$(SIGN_KEY)" GO="$(GO)" scripts/package.sh dist

## msi-smoke: install the MSI under Wine against a local glpi-enrolld, check it runs, enrolls and uninstalls
## (make test runs it as packaging's TestMSIUnderWine; MSI_SMOKE_INSTALL=1 apt-gets Wine and mingw first)
msi-smoke:
	GO="$(GO)" scripts/msi-smoke.sh

## loadtest: AGENTS simulated agents per mode against the real glpi-enrolld, every fault mode; figures in bin/loadtest.json;
## and CHECKIN_HELD streamed check-ins held under TLS with a run-now a second (checkin mode), then enrollments, inventories
## and both offered meanwhile: figures in bin/loadtest-checkin.json, the service's profiles in bin/loadtest-checkin/
AGENTS ?= 20000
CHECKIN_HELD ?= 19000
.PHONY: loadtest
loadtest:
	@mkdir -p $(BIN)
	$(GO) test -tags loadtest ./scripts/loadtest -run TestLoad -count=1 -v -timeout 4h -args \
		-agents $(AGENTS) -stress-agents 0 -mode all -validate-every 100 -stall 6m -drain-timeout 30m \
		-json-out $(CURDIR)/$(BIN)/loadtest.json \
		-checkin-held $(CHECKIN_HELD) -checkin-runnow 60s -checkin-profiles $(CURDIR)/$(BIN)/loadtest-checkin \
		-checkin-enroll-rate 300 -checkin-inventory-rate 90 -checkin-phase 20s \
		-checkin-json-out $(CURDIR)/$(BIN)/loadtest-checkin.json

clean:
	rm -rf $(BIN) dist
