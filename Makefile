# envsafe — build, test and demo. See README.md.
GO      ?= go
BIN     := $(CURDIR)/.bin
AGE_VERSION := v1.3.2
GORELEASER_VERSION := v2.15.1
STATICCHECK_VERSION := v0.8.2
SOPS_VERSION := v3.13.3
FUZZTIME ?= 30s
export PATH := $(BIN):$(PATH)

.PHONY: all build test test-windows demo tools vet clean generate release-check race stress fuzz

all: build

# urfave_cli_no_docs drops urfave/cli's markdown/man converter (and its
# start-up cost); envsafe writes its man page itself.
TAGS    := urfave_cli_no_docs

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -o $(BIN)/envsafe ./cmd/envsafe

# The real age CLI, for the tests that prove envsafe files are plain age
# files; sops, whose files `envsafe import` reads (migrate_sops.txtar);
# staticcheck for make test.
tools: $(BIN)/age $(BIN)/sops $(BIN)/staticcheck

$(BIN)/age:
	GOBIN=$(BIN) $(GO) install filippo.io/age/cmd/...@$(AGE_VERSION)

$(BIN)/sops:
	GOBIN=$(BIN) $(GO) install github.com/getsops/sops/v3/cmd/sops@$(SOPS_VERSION)

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# The whole suite, with keychain tests against a private gnome-keyring.
test: tools
	@unformatted=$$(gofmt -l cmd internal pkg bench); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted" >&2; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	ENVSAFE_REQUIRE_TOOLS=1 scripts/with-test-keychain $(GO) test -count=1 ./...

# The Windows lane: envsafe.exe and the Windows unit tests under wine, in a
# private prefix (scripts/test-windows; a couple of minutes).
test-windows:
	GO=$(GO) scripts/test-windows

# The suite under the race detector, with the short (-short) safety tests.
# Every envsafe the tests start is race-built too; GORACE spares each one
# the detector's default 1s pause at exit.
race: tools
	GORACE=atexit_sleep_ms=10 ENVSAFE_REQUIRE_TOOLS=1 scripts/with-test-keychain \
		$(GO) test -race -short -count=1 ./...

# The long forms of the tamper, crash, concurrency, keychain and leak tests,
# with their figures (SECURITY.md); a few minutes.
stress: tools
	scripts/stress

# Every fuzz target for FUZZTIME each (default 30s): make fuzz FUZZTIME=10m.
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz

# Initialise a scratch project and use it, as a newcomer would.
demo: build
	scripts/demo

clean:
	rm -rf $(BIN)

# Validate .goreleaser.yaml and build a snapshot of every target, no publishing.
release-check: $(BIN)/goreleaser
	GORELEASER=$(BIN)/goreleaser scripts/release-check

$(BIN)/goreleaser:
	GOBIN=$(BIN) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

# Regenerate the checked-in completion scripts and man page from the app.
generate: build
	$(BIN)/envsafe completion bash > completions/envsafe.bash
	$(BIN)/envsafe completion zsh > completions/_envsafe
	$(BIN)/envsafe completion fish > completions/envsafe.fish
	$(BIN)/envsafe completion powershell > completions/envsafe.ps1
	$(BIN)/envsafe man > man/envsafe.1
