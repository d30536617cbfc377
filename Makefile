# SyncMon: `make test` is the whole suite on a fresh Debian machine.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# A count, not a duration: a duration's deadline races the fuzz workers and
# fails a healthy target with "context deadline exceeded" (go.dev/issue/75804,
# fixed in Go 1.27); a count cannot. 20000 runs take 1-3 s per target here.
FUZZTIME ?= 20000x

.PHONY: run test deps lint fuzz bench dist deps-dist check-dist

run:
	go run .

# Tools the browser, proxy and speech tests need, installed when absent.
deps:
	@if ! command -v chromium >/dev/null || ! command -v nginx >/dev/null || ! command -v espeak-ng >/dev/null || \
		! fc-list 2>/dev/null | grep -qi nanum; then \
		echo "installing chromium nginx-light espeak-ng fonts-nanum"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium nginx-light espeak-ng fonts-nanum >/dev/null; \
	fi
	@command -v npm >/dev/null || { echo "installing npm"; $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm >/dev/null; }
	@$(MAKE) --no-print-directory node_modules/.bin/eslint

# eslint for the page script (plain ES5), from package-lock.json. The go.mod
# makes node_modules a module of its own, so ./... leaves out its Go files.
node_modules/.bin/eslint: package.json package-lock.json
	npm ci --no-audit --no-fund
	@echo 'module node_modules' > node_modules/go.mod
	@touch $@

lint: node_modules/.bin/eslint
	node_modules/.bin/eslint --max-warnings 0 static
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...

# The whole suite, with the browser and proxy tests required (not skipped).
# -p 4: the slow packages (the root's real processes, e2e's browser, the
# cluster's elections) mostly wait, using about a third of two cores; four
# at once keep the wall time down without a timing figure in any test.
test: deps lint
	SYNCMON_REQUIRE_TOOLS=1 go test -race -count=1 -p 4 ./...

# A short run of every fuzz target (CI runs this after `make test`).
fuzz:
	@for pkg in $$(go list ./...); do \
		for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; \
			go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

bench:
	go test -run '^$$' -bench . -benchmem ./...

# Release (docs/OPERATIONS.md, "Install"): `make dist` writes dist/ with a
# static binary per architecture (no dynamic libraries, so it starts on Oracle
# Linux/RHEL 7-9), .deb and .rpm packages (packaging/nfpm.yaml) and SHA256SUMS.
# VERSION is the git tag without its "v" (v1.2.0-3-gabc -> 1.2.0-3-gabc), or
# 0.0.0-dev when no tag precedes the commit.
VERSION ?= $(or $(shell git describe --tags --always --dirty 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9][0-9]*\.\)/\1/p'),0.0.0-dev)
COMMIT ?= $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) || c=unknown; \
	git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
DIST_ARCHS ?= amd64 arm64
DIST_TAGS := netgo osusergo sqlite_omit_load_extension
DIST_LDFLAGS := -s -w -linkmode external -extldflags "-static" \
	-X main.buildVersion=$(VERSION) -X main.buildCommit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)
# Run from the module proxy at a fixed version: no download step, no go.mod entry.
NFPM := go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2

dist: deps-dist
	rm -rf dist && mkdir -p dist
	@set -e; for arch in $(DIST_ARCHS); do \
		case $$arch in amd64) cc=gcc; rpmarch=x86_64;; arm64) cc=aarch64-linux-gnu-gcc; rpmarch=aarch64;; \
			*) echo "unknown arch $$arch"; exit 1;; esac; \
		bin=dist/syncmon_$(VERSION)_linux_$$arch; \
		echo "build $$bin"; \
		CGO_ENABLED=1 GOOS=linux GOARCH=$$arch CC=$$cc go build -trimpath -tags '$(DIST_TAGS)' \
			-ldflags '$(DIST_LDFLAGS)' -o $$bin . ; \
		VERSION=$(VERSION) ARCH=$$arch BINARY=$$bin $(NFPM) pkg --config packaging/nfpm.yaml \
			--packager deb --target dist/syncmon_$(VERSION)_$$arch.deb; \
		VERSION=$(VERSION) ARCH=$$arch BINARY=$$bin $(NFPM) pkg --config packaging/nfpm.yaml \
			--packager rpm --target dist/syncmon-$(VERSION).$$rpmarch.rpm; \
	done
	cd dist && sha256sum syncmon[_-]* > SHA256SUMS && cat SHA256SUMS

# The cross C compiler for arm64 (cgo: SQLite is C), `file` and `rpm` (for
# check-dist), installed when absent.
deps-dist:
	@need=""; \
	case " $(DIST_ARCHS) " in *" arm64 "*) command -v aarch64-linux-gnu-gcc >/dev/null || need="$$need gcc-aarch64-linux-gnu";; esac; \
	command -v gcc >/dev/null || need="$$need gcc"; \
	command -v file >/dev/null || need="$$need file"; \
	command -v rpm >/dev/null || need="$$need rpm"; \
	if [ -n "$$need" ]; then \
		echo "installing$$need"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need >/dev/null; \
	fi

# What CI checks on dist/ (needs root: chroot, dpkg -i).
check-dist:
	$(SUDO) packaging/check-dist.sh $(VERSION)
