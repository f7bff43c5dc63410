# The two commands of the quick start are `make run` and `make test`; both install what is
# missing first (scripts/setup.sh). Everything else here is a building block of those two.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
APP := target/debug/assay-desktop
TEST_ENV := scripts/test-env.sh

.PHONY: bench-smoke run test setup-app setup-test ui build lint fmt clippy ui-check ui-test nextest \
        e2e bindings screenshots dev clean bench bench-client bench-engine bench-bundle soak fuzz \
        package package-test memory judge-local

## run: install what is missing, build, and launch the desktop app
run: setup-app ui
	$(CARGO) build --workspace
	$(APP)

## test: install what is missing, then run every check CI runs
test: setup-test ui lint ui-check ui-test bench-smoke nextest
	@echo "make test: all checks passed"

## bench-smoke: build every benchmark and run each once at a tiny size (debug build), so a
## change that breaks one fails the tests; the figures mean nothing at this size
bench-smoke:
	ASSAY_BENCH_SMOKE=1 ASSAY_BENCH_RUNS=300 ASSAY_BENCH_CALLS=20 ASSAY_BENCH_BUNDLE_MIB=1 \
	  ASSAY_BENCH_ROUNDS=1 $(TEST_ENV) $(CARGO) test --workspace --bench '*'

setup-app:
	scripts/setup.sh app

setup-test:
	scripts/setup.sh test

## ui: build the web UI into ui/dist (the app embeds it at compile time)
ui:
	npm --prefix ui run build --silent

build: ui
	$(CARGO) build --workspace

lint: fmt clippy

fmt:
	$(CARGO) fmt --all --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## ui-check: type-check the UI against the committed bindings (svelte-check)
ui-check:
	npm --prefix ui run check --silent

ui-test:
	npm --prefix ui test --silent

## nextest: unit, integration, CLI, bindings-drift and e2e tests, in the hermetic test env
nextest:
	$(TEST_ENV) $(CARGO) nextest run --workspace

## e2e: only the end-to-end suite (real app, real webview)
e2e: ui
	$(TEST_ENV) $(CARGO) nextest run --workspace -E 'binary(e2e)'

## bench: release-mode benchmarks: storage (warm open, create-to-open, SQLCipher vs SQLite),
## library (first launch, a page of runs among 100k runs / 1M documents), the provider
## client's overhead per call (10,000 calls against an instant local server) and the run
## engine's time per task and memory over a 10,200-task run
bench: setup-test ui
	$(TEST_ENV) $(CARGO) bench --workspace --bench storage --bench library --bench client --bench engine

## bench-client: only the provider client's overhead benchmark
bench-client:
	$(CARGO) bench -p assay-core --bench client

## bench-engine: only the run engine's benchmark (10,200 tasks, time per task and RSS)
bench-engine:
	$(TEST_ENV) $(CARGO) bench -p assay-core --bench engine

## judge-local: a real local model (llama.cpp's server, SmolLM2-135M, from PyPI) as both
## judges of a small preset; prints the share of scoring and comparison tasks stored
judge-local: setup-test
	$(CARGO) build -p assay-cli
	$(TEST_ENV) scripts/judge-local.sh target/debug/assay

## soak: the crash harness with 5000 random kill points (about 15 minutes), then a run
## killed 100 times at random and resumed to exact results (ASSAY_RUN_KILLS)
soak: setup-test ui
	ASSAY_CRASH_ITERATIONS=$${ASSAY_CRASH_ITERATIONS:-5000} $(TEST_ENV) $(CARGO) nextest run \
	  --workspace -E 'test(random_sigkills)' --no-capture
	ASSAY_RUN_KILLS=$${ASSAY_RUN_KILLS:-100} $(TEST_ENV) $(CARGO) nextest run \
	  --workspace -E 'test(killed_runs_resume)' --no-capture

## bench-bundle: export/import of a 1 GiB profile vs cp and age, with peak RSS (needs ~9 GB disk)
bench-bundle: setup-test ui
	@command -v age >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y --no-install-recommends age >/dev/null; } || true
	$(TEST_ENV) $(CARGO) bench -p assay-cli --bench bundle

## fuzz: the bundle reader's mutation fuzzer, long (release build; ASSAY_FUZZ_ITERATIONS)
fuzz:
	ASSAY_FUZZ_ITERATIONS=$${ASSAY_FUZZ_ITERATIONS:-1000000} $(CARGO) test --release \
	  -p assay-core --test bundle_fuzz -- --nocapture

## bindings: regenerate ui/src/lib/bindings.ts from the Rust commands
bindings:
	ASSAY_UPDATE_BINDINGS=1 $(CARGO) nextest run --workspace -E 'test(committed_bindings)'

## screenshots: refresh docs/screenshots from the e2e suite's captures
screenshots: e2e
	for t in light dark; do for s in runs run-overview run-scores run-pairwise run-judges run-documents run-timeline presets library settings; do \
	  cp target/tmp/e2e/screens/$$s-$$t.png docs/screenshots/$$s-$$t.png; done; done
	for t in light dark; do for s in run-estimated timeline-estimated; do \
	  cp target/tmp/e2e/estimated/$$s-$$t.png docs/screenshots/$$s-$$t.png; done; \
	  cp target/tmp/e2e/judge-check/judge-check-$$t.png docs/screenshots/judge-check-$$t.png; \
	  cp target/tmp/e2e/junk-judge/judge-failures-$$t.png docs/screenshots/judge-failures-$$t.png; \
	  cp target/tmp/e2e/echo/echo-redacted-$$t.png docs/screenshots/echo-redacted-$$t.png; \
	  cp target/tmp/e2e/one-model/run-dialog-$$t.png docs/screenshots/run-dialog-$$t.png; \
	  cp target/tmp/e2e/one-model/pairwise-note-$$t.png docs/screenshots/pairwise-note-$$t.png; \
	  cp target/tmp/e2e/run-elsewhere/live-elsewhere-$$t.png docs/screenshots/live-elsewhere-$$t.png; \
	  cp target/tmp/e2e/lock-busy/lock-refused-$$t.png docs/screenshots/lock-refused-$$t.png; done
	cp target/tmp/e2e/smoke/main-window.png docs/screenshots/main-window.png
	cp target/tmp/e2e/first-launch/home.png docs/screenshots/home.png
	cp target/tmp/e2e/key-missing/key-missing.png docs/screenshots/key-missing.png
	cp target/tmp/e2e/manage/profiles.png docs/screenshots/profiles.png
	cp target/tmp/e2e/library/content.png docs/screenshots/library.png
	cp target/tmp/e2e/settings/provider-keys.png docs/screenshots/provider-keys.png
	for f in overview scores pairwise documents; do cp target/tmp/e2e/evaluation/$$f.png docs/screenshots/run-$$f.png; done
	cp target/tmp/e2e/explorer/cell-detail.png docs/screenshots/run-cell-detail.png
	cp target/tmp/e2e/explorer/documents-pair.png docs/screenshots/run-documents-pair.png
	cp target/tmp/e2e/run-button/compare.png docs/screenshots/run-compare.png
	cp target/tmp/e2e/layout/help.png docs/screenshots/shortcuts.png
	cp target/tmp/e2e/layout/unsaved.png docs/screenshots/unsaved.png
	cp target/tmp/e2e/unlock/wrong-passphrase.png docs/screenshots/wrong-passphrase.png
	cp target/tmp/e2e/report/report.png docs/screenshots/report-tab.png
	cp target/tmp/e2e/usage/usage.png docs/screenshots/usage.png
	cp target/tmp/e2e/presets/field-error.png docs/screenshots/preset-errors.png
	cp target/tmp/e2e/export/export.png docs/screenshots/export.png
	cp target/tmp/e2e/run-button/live-run.png docs/screenshots/live-run.png
	cp target/tmp/e2e/run-button/run-finished.png docs/screenshots/run-finished.png
	cp target/tmp/e2e/run-quit/quit-dialog.png docs/screenshots/quit-dialog.png
	cp target/tmp/e2e/layout/quit-unsaved.png docs/screenshots/quit-unsaved.png
	cp target/tmp/e2e/data-missing/data-missing.png docs/screenshots/data-missing.png
	cp target/tmp/e2e/unlock/unlock.png docs/screenshots/unlock.png

## package: the release .deb with its icons, desktop entry and metadata (Tauri's bundler).
## The AppImage target stays configured in tauri.conf.json; building it downloads tools this
## machine cannot fetch, so it is built where it can be.
package: setup-app ui
	npm --prefix ui run tauri -- build --bundles deb
	@ls -l target/release/bundle/deb/*.deb

## package-test: checks the .deb: Depends names only this distribution's packages, the
## extracted tree holds the binary, desktop entry and icons, and the extracted binary launches
## under the test display to the welcome screen (not part of make test: a release build)
package-test: package setup-test
	scripts/package-test.sh

## memory: the app's memory, measured on the release build that ships (make package's binary,
## assets embedded): PSS of the app and its WebKit processes idle on the profile picker, idle
## on home, and after 50 passes over a run's views
memory: package setup-test
	ASSAY_APP_BINARY=$(CURDIR)/target/release/assay-desktop $(TEST_ENV) $(CARGO) nextest run \
	  -p assay-desktop -E 'binary(e2e) & test(the_apps_memory)' --run-ignored only --no-capture

## dev: the app with the Vite dev server and hot reload (Tauri CLI)
dev: setup-app
	npm --prefix ui run tauri -- dev

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules
