# Two commands for a newcomer: `make demo` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

.PHONY: demo test deps apt venv frontend lint unit integration e2e bench package clean screenshots

demo: deps ## start the demo PBX and peers, and the app signed in
	$(PY) tests/pbx/demo.py

test: deps lint ## every test: lint, frontend unit tests, Python unit/integration/e2e
	cd frontend && npm test --silent
	bash tests/run-pytest.sh

deps: apt venv frontend

apt: $(STAMPS)/apt
$(STAMPS)/apt: build/apt-packages.txt build/install-apt.sh
	bash build/install-apt.sh
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[desktop,dev,busylight,aec]'
	@mkdir -p $(STAMPS) && touch $@

frontend: frontend/dist/index.html
frontend/dist/index.html: frontend/package.json frontend/package-lock.json $(FRONTEND_SRC)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent

lint: venv
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/vulture

unit: deps
	$(VENV)/bin/pytest tests/unit -q

integration: deps
	$(VENV)/bin/pytest tests/integration -q

e2e: deps
	bash tests/run-pytest.sh tests/e2e

# Each script starts its own Kamailio, peers, directory and app on 127.0.0.1 (one D-Bus session).
screenshots: deps ## docs/screenshots from the real app: every view, light/dark, English/French
	dbus-run-session -- $(PY) tests/e2e/capture_docs.py
	dbus-run-session -- $(PY) tests/e2e/capture_states.py
	dbus-run-session -- $(PY) tests/e2e/capture_views.py
	dbus-run-session -- $(PY) tests/e2e/capture_network.py
	SOFTPHONE_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots bash tests/run-pytest.sh \
		tests/e2e/test_browser_email_sign_in.py tests/e2e/test_browser_audio_settings.py \
		tests/e2e/test_demo.py -k "screenshots or audio_settings_dialog or make_demo"

bench: deps ## benchmarks -> bench/results.md and bench/results.json
	$(PY) bench/run.py

package: deps ## one-folder bundle (PyInstaller) and the .deb -> build/out/ (see docs/packaging.md)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath build/out/dist --workpath build/out/work build/softphone.spec
	bash build/package-deb.sh build/out/dist/softphone build/out

clean:
	rm -rf $(STAMPS) frontend/dist tests/artifacts build/out
