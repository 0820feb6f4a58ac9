# The two set-up commands: `make run` and `make check`. Both install what is
# missing first (scripts/deps.sh), then build with meson and ninja.
#   make            build build/dialconf
#   make run        build and serve the embedded defaults with a demo organization
#   make check      every test: unit, unit under ASan+UBSan, integration
#   make install    meson install: PREFIX (/usr/local) and DESTDIR (a staging
#                   root, empty for the live system), e.g.
#                   make install PREFIX=/usr DESTDIR=/tmp/root
# WERROR=1 (CI) turns warnings into errors.

BUILD      := build
ASAN_BUILD := build-asan
MESON_OPTS := $(if $(WERROR),-Dwerror=true,)
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps build run check install clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false

build: $(BUILD)/build.ninja
	meson configure $(BUILD) $(MESON_OPTS) >/dev/null
	ninja -C $(BUILD)

run: deps build
	$(BUILD)/dialconf serve --demo

check: deps build $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	tests/run-all $(BUILD) $(ASAN_BUILD)

# A new prefix rebuilds only main.c (the installed prompts' path is in it).
install: build
	meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	ninja -C $(BUILD)
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir $(DESTDIR))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-bench
