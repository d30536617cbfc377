# SyncMon: `make test` is the whole suite on a fresh Debian machine.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FUZZTIME ?= 5s

.PHONY: run test deps lint fuzz bench

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
test: deps lint
	SYNCMON_REQUIRE_TOOLS=1 go test -race -count=1 ./...

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
