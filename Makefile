# Hooklab. Two commands matter on a fresh machine (Go, gcc and apt present):
#   make run    build and start the server on http://localhost:8080 (data in ./data)
#   make test   every test: unit, integration, browser end-to-end
# Everything else is installed on demand from here.

GO       ?= go
BIN      := bin/hooklab
# VERSION must be a semantic version (clients compare it): the newest vX.Y.Z
# tag, or the binary's default when there is none; REVISION is the commit.
VERSION  ?= $(shell git describe --tags --match 'v[0-9]*' 2>/dev/null)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.revision=$(REVISION)
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome || echo /usr/bin/chromium)
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# make bench compares with the engine before owned leases, like for like
BASELINE     ?= 06081ae
BASELINE_BIN := bin/hooklab-$(BASELINE)
export CGO_ENABLED = 1

.PHONY: all generate build run test test-unit lint bench browser postgres clean check-generated screenshots

all: build

## generate: regenerate templ components (templ pinned in go.mod as a tool)
generate:
	$(GO) tool templ generate -path views

## build: compile the hooklab binary into bin/
build: generate
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/hooklab

## run: build and start on :8080 with the embedded SQLite store in ./data
run: build
	./$(BIN) serve

## browser: install Debian's Chromium for the end-to-end tests when missing
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

## postgres: install Debian's PostgreSQL when missing: the store's and the
## engine's tests run on it as well as on SQLite (each test binary starts a
## throwaway server of its own on a free loopback port; none is assumed running)
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql for the tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

## lint: gofmt and go vet must be clean, generated files fresh
lint: check-generated
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## check-generated: the committed *_templ.go files match their .templ sources
## (checked on CI's clean clone, where any difference means a stale commit)
check-generated: generate
	@if [ -n "$$CI" ] && [ -n "$$(git status --porcelain -- views)" ]; then \
		echo "generated templ files are stale; run 'make generate' and commit:"; git status --porcelain -- views; exit 1; fi

## test: lint, then every test with the race detector, Chromium included,
## the store's and the engine's on SQLite and PostgreSQL; then the delivery
## engine's memory bounds, 50 times over (they race)
test: browser postgres lint
	HOOKLAB_CHROMIUM=$(CHROMIUM) $(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -race -count=50 -run '^(TestEngineBoundsHoldUnderConcurrentPublishAndClaim|TestEngineHoldsPayloadsWithinTheirBound)$$' ./delivery

## test-unit: the fast tests only (no browser)
test-unit: postgres
	$(GO) test -race -short ./...

## bench: Go benchmarks, then the delivery load test against the real binary
## (20,000 events × 5 hooks on a loopback receiver), the same load on the
## previous engine's binary, interleaved, and on SQLite, PostgreSQL with one
## instance and with two (a throwaway server); numbers, not pass/fail
bench: build postgres $(BASELINE_BIN)
	$(GO) test -run '^$$' -bench . -benchmem ./db ./delivery ./model
	$(GO) run ./cmd/loadtest -hooklab $(BIN) -baseline $(BASELINE_BIN) -backends

## the previous engine's binary, built from git
$(BASELINE_BIN):
	@mkdir -p bin; tmp=$$(mktemp -d); \
	git archive $(BASELINE) | tar -x -C $$tmp && (cd $$tmp && $(GO) build -o $(CURDIR)/$@ ./cmd/hooklab); \
	rc=$$?; rm -rf $$tmp; exit $$rc

## screenshots: the README's pictures (docs/*.png), taken by the browser tests
screenshots: browser generate
	HOOKLAB_CHROMIUM=$(CHROMIUM) HOOKLAB_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 \
		-run 'TestBrowserTestResultShowsWhereTheUserLooks|TestBrowserPagesFitA375PxWindow' ./cmd/hooklab

clean:
	rm -rf bin
