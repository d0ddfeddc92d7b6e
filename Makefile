# envsafe — build, test and demo. See README.md.
GO      ?= go
BIN     := $(CURDIR)/.bin
AGE_VERSION := v1.3.2
GORELEASER_VERSION := v2.15.1
export PATH := $(BIN):$(PATH)

.PHONY: all build test demo tools vet clean generate release-check

all: build

# urfave_cli_no_docs drops urfave/cli's markdown/man converter (and its
# start-up cost); envsafe writes its man page itself.
TAGS    := urfave_cli_no_docs

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -o $(BIN)/envsafe ./cmd/envsafe

# The real age CLI, for the tests that prove envsafe files are plain age files.
tools: $(BIN)/age

$(BIN)/age:
	GOBIN=$(BIN) $(GO) install filippo.io/age/cmd/...@$(AGE_VERSION)

# The whole suite, with keychain tests against a private gnome-keyring.
test: tools
	$(GO) vet ./...
	ENVSAFE_REQUIRE_TOOLS=1 scripts/with-test-keychain $(GO) test -count=1 ./...

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
