# signkiosk — build, run and test. `make run` and `make test` do all set-up
# on a fresh Debian machine (apt packages when missing, pinned Go modules).

GO       ?= go
BIN      ?= bin/signkiosk
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
# Build headers for Fyne's GLFW (X11 and Wayland), and the independent
# checkers and tools the tests and screenshots use; postgresql is the server
# the head office tests start in a temp dir (never the system cluster).
APT_PKGS := gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev \
            xvfb xauth imagemagick zbar-tools qrencode openssl poppler-utils qpdf \
            libturbojpeg0-dev libjpeg-turbo-progs postgresql
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# no_emoji: Fyne without its 4 MB colour emoji font, which it would parse
# again for every text style (8–16 MB of heap); no kiosk text has emoji.
TAGS     := no_emoji

.PHONY: all deps build run test test-long flake lint bench fuzz screenshots probe jpegbench fleet-test clean

all: build

# deps installs only the Debian packages that are missing (idempotent), then
# downloads the pinned modules.
deps:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@$(GO) mod download

build: deps
	$(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN) .

# run opens the kiosk in demo mode (no config): in-process provider simulator,
# demo ticket key, data under ~/.local/share/signkiosk. It needs a display
# (an X11 session, or Xvfb: `Xvfb :99 & DISPLAY=:99 make run`).
run: build
	./$(BIN)

# test is the short suite: every package under the race detector, with
# -short keeping a small sample of the big sets (the 300-frame QR set, the
# demo face at every size, the many-kill crash test); test-long runs them
# whole. No test asserts how fast something runs (docs/BENCHMARKS.md).
SHORT := -tags '$(TAGS)' -race -short -count=1

test: deps
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags '$(TAGS)' -race ./...  # -race: vet's build is then the tests' (on a fresh machine 6.5 min instead of 11)
	$(GO) test $(SHORT) ./...

# test-long runs the packages with big sets without -short (and without the
# race detector, which the short suite already ran them under): the whole
# QR set, every demo face size, 1500 packages through 40 kills, 20 demo
# sessions in a row.
LONG_PKGS := ./camera/... ./sync/crashtest/

test-long: deps
	$(GO) test -tags '$(TAGS)' -count=1 $(LONG_PKGS)
	$(GO) test -tags '$(TAGS)' -count=1 -run 'TestSessionsInARowStayFlat' .

# flake runs the short suite three times in shuffled order; each must pass.
flake: deps
	@for i in 1 2 3; do echo "flake: run $$i of 3"; $(GO) test $(SHORT) -shuffle=on ./... || exit 1; done

lint: deps
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet -tags '$(TAGS)' ./...
	$(GO) run $(STATICCHECK) -tags '$(TAGS)' ./...

bench: deps
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem ./...

# fuzz runs every fuzz target in the module for 30 s (FUZZTIME=…).
fuzz: deps
	GO=$(GO) ./scripts/fuzz.sh

# screenshots runs the kiosk under Xvfb and saves every screen (docs/screens).
screenshots: build
	PORTRAIT=1 ./scripts/screenshots.sh

# probe measures the kiosk's CPU and memory on its idle and camera screens
# against a Fyne "hello" window under Xvfb (docs/BENCHMARKS.md).
probe: build
	$(GO) build -o bin/hello ./scripts/hello # as Fyne ships: the baseline
	./scripts/probe.sh

# fleet-test: 200 kiosks × 25 packages against two head offices over
# PostgreSQL, one killed -9 and PostgreSQL crashed mid-run, then the file
# store; one line each, exit 1 on any loss or duplicate (.ci/run runs it).
fleet-test: build
	./scripts/fleet-test.sh

# jpegbench times the kiosk's MJPEG decoder against libjpeg-turbo's tjbench
# on the same 720p frame (docs/BENCHMARKS.md).
jpegbench: deps
	GO=$(GO) ./scripts/jpegbench.sh

clean:
	rm -rf bin
