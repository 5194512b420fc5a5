# Strata: two commands on a fresh Debian machine.
#   make run    installs what is missing, builds release, runs the default model
#   make test   installs what is missing, runs the whole test suite
SWIFT ?= swift
APT_PACKAGES := libjemalloc-dev liblz4-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps build release clean check-simd bench

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

# Confirms in the disassembly that the release matmul kernels use 256-bit FMA (vfmadd…ps on
# ymm) and hardware f16 conversion, not a call to fmaf per lane.
check-simd: release
	@for f in Kernels+MatmulFloat Kernels+MatmulQuant Kernels+Vector; do \
	  o=.build/release/Runtime.build/$$f.swift.o; \
	  fma=$$(objdump -d --no-show-raw-insn $$o | grep -cE 'vfmadd[0-9a-z]*ps[[:space:]].*%ymm'); \
	  calls=$$(objdump -d --no-show-raw-insn $$o | grep -cE 'call.*fmaf'); \
	  cvt=$$(objdump -d --no-show-raw-insn $$o | grep -c vcvtph2ps); \
	  echo "$$f: $$fma ymm FMA, $$cvt vcvtph2ps, $$calls fmaf calls"; \
	  [ $$fma -gt 0 ] && [ $$calls -eq 0 ] || exit 1; \
	done

# Side-by-side speed on random-weight models (Benchmarks/README.md).
bench: release
	Benchmarks/speed.sh

clean:
	rm -rf .build
