# The two set-up commands: `make run` and `make check`. Both install what is
# missing first (scripts/deps.sh), then build with meson and ninja.
#   make            build build/dialconf
#   make run        build and serve the embedded defaults with a demo organization
#   make check      every test: unit, unit under ASan+UBSan, integration,
#                   and a short run of each fuzzer (FUZZ_CHECK_SECONDS each)
#   make fuzz       build the libFuzzer harnesses (tests/fuzz/) with clang
#                   and run each for FUZZ_SECONDS under ASan+UBSan
#   make install    meson install: PREFIX (/usr/local) and DESTDIR (a staging
#                   root, empty for the live system), e.g.
#                   make install PREFIX=/usr DESTDIR=/tmp/root
# WERROR=1 (CI) turns warnings into errors.

BUILD      := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 1
MESON_OPTS := $(if $(WERROR),-Dwerror=true,)
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps build run check fuzz install clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false

# The fuzzing build: clang, every library with coverage, ASan and UBSan.
$(FUZZ_BUILD)/build.ninja:
	CC=clang-14 meson setup $(FUZZ_BUILD) -Dfuzz=true \
	  -Db_sanitize=address,undefined -Db_lundef=false

build: $(BUILD)/build.ninja
	meson configure $(BUILD) $(MESON_OPTS) >/dev/null
	ninja -C $(BUILD)

run: deps build
	$(BUILD)/dialconf serve --demo

check: deps build $(ASAN_BUILD)/build.ninja $(FUZZ_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) tests/run-all $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) fuzz
	tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

# A new prefix rebuilds only main.c (the installed prompts' path is in it).
install: build
	meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	ninja -C $(BUILD)
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir $(DESTDIR))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-bench
