# totpgate - see README.md.  `make run` and `make test` are the two entry points.

CC       ?= cc
BUILD    ?= build
SANITIZE ?=
PYTHON   ?= /usr/bin/python3

PKGS     := libh2o-evloop openssl jansson sqlite3 libqrencode libpng
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
            -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lm

ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

SRC      := $(sort $(wildcard src/*.c))
OBJ      := $(SRC:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJ  := $(filter-out $(BUILD)/obj/main.o,$(OBJ))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%.o)

# Sanitizer runtime settings for every test run (harmless without SANITIZE).
export LSAN_OPTIONS  = suppressions=$(abspath tests/lsan.supp):print_suppressions=0
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS  = abort_on_error=0:detect_leaks=1

.PHONY: all deps deps-test run test test-tsan test-crash bench bench-crypto unit integration clean format fuzz fuzz-smoke

all: $(BUILD)/totpgate

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/obj
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit/%.o: tests/unit/%.c | $(BUILD)/unit
	$(CC) $(CFLAGS) -Isrc -MMD -MP -c -o $@ $<

$(BUILD)/totpgate: $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj $(BUILD)/unit:
	mkdir -p $@

.SECONDARY:

-include $(OBJ:.o=.d) $(UNIT_OBJ:.o=.d)

# Installs build dependencies with apt-get when pkg-config cannot find them.
deps:
	@scripts/install-deps build

deps-test:
	@scripts/install-deps test

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-dev $(ARGS)

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

integration: $(BUILD)/totpgate
	TOTPGATE_BIN=$(abspath $(BUILD)/totpgate) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

test: deps-test
	@$(MAKE) --no-print-directory all $(BUILD)/unit-tests
	$(BUILD)/unit-tests
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory fuzz-smoke

# libFuzzer targets (clang): `make fuzz` runs each for FUZZ_SECONDS,
# `make fuzz-smoke` (part of `make test`) for a few seconds each.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_NAMES   := login base32 token csv
FUZZ_CFLAGS  := -O1 -g -std=c17 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -Isrc $(PKG_CFLAGS) \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRC := $(filter-out src/main.c,$(SRC))
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/%.o: src/%.c | $(FUZZ_BUILD)/obj
	clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(FUZZ_BUILD)/obj:
	mkdir -p $@

fuzz: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
	@for t in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/$$t.dict \
	        -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t \
	        >$(FUZZ_BUILD)/$$t.log 2>&1 || { tail -n 40 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
	    tail -n 1 $(FUZZ_BUILD)/$$t.log; \
	done

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=3

# Crash safety: SIGKILL under login load, restart, check nothing promised was lost.
CRASH_KILLS ?= 20
test-crash: deps-test
	@$(MAKE) --no-print-directory all
	TOTPGATE_BIN=$(abspath $(BUILD)/totpgate) $(PYTHON) scripts/crash-test --kills $(CRASH_KILLS)

# Throughput against nginx on loopback (minutes; not part of `make test`).
bench:
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory all
	TOTPGATE_BIN=$(abspath $(BUILD)/totpgate) $(PYTHON) bench/run $(BENCH_ARGS)

# Micro-benchmark of the hot crypto.h calls: this tree's crypto.c against
# BASE's, alternating in one process (seconds; not part of `make test`).
BASE ?= 28d5bf2
BENCH_CRYPTO_ARGS ?= 5 1
OLD_CRYPTO_NAMES := tg_random_bytes tg_sha256 tg_hmac tg_memeq tg_cleanse tg_aead_seal tg_aead_open tg_eckey \
                    tg_eckey_generate tg_eckey_from_private_der tg_eckey_to_private_der tg_eckey_from_public_xy \
                    tg_eckey_public_xy tg_eckey_public_pem tg_eckey_free tg_es256_sign tg_es256_verify

bench-crypto: $(BUILD)/obj/crypto.o $(BUILD)/obj/status.o | $(BUILD)/obj
	git show $(BASE):src/crypto.c >$(BUILD)/crypto_old.c
	$(CC) $(CFLAGS) -Isrc $(foreach n,$(OLD_CRYPTO_NAMES),-D$(n)=old_$(n)) -c -o $(BUILD)/crypto_old.o $(BUILD)/crypto_old.c
	$(CC) $(CFLAGS) -Isrc -o $(BUILD)/crypto-micro bench/crypto-micro.c $(BUILD)/crypto_old.o \
	    $(BUILD)/obj/crypto.o $(BUILD)/obj/status.o $(LDFLAGS) $(LDLIBS)
	flock /tmp/totpgate-bench.lock $(BUILD)/crypto-micro $(BENCH_CRYPTO_ARGS)

# ThreadSanitizer: the unit tests and the concurrency tests against a TSan server.
TSAN_TESTS ?= tests/integration/test_concurrency.py tests/integration/test_abuse.py -k "parallel or simultaneous"
test-tsan: deps-test
	@$(MAKE) --no-print-directory SANITIZE=thread BUILD=build-tsan build-tsan/totpgate build-tsan/unit-tests
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" build-tsan/unit-tests
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" TOTPGATE_BIN=$(abspath build-tsan/totpgate) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider $(TSAN_TESTS)

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c tests/unit/*.h

clean:
	rm -rf $(BUILD)
