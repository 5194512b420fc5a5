# Strata: two commands on a fresh Debian machine.
#   make run    installs what is missing, builds release, runs the default model
#   make test   installs what is missing, runs the whole test suite
SWIFT ?= swift
APT_PACKAGES := libjemalloc-dev liblz4-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps build release clean

run: release
	.build/release/strata run

test: deps
	$(SWIFT) test

release: deps
	$(SWIFT) build -c release --product strata

build: deps
	$(SWIFT) build

# Install the two C libraries through apt only when dpkg says one is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf .build
