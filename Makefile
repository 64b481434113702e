# Set-up on a fresh Debian machine: `make serve` or `make test` (each creates .venv on first run).
# `make serve` installs the service alone (`pip install -e .`); `make test` adds the test tools
# (`.[dev]`: pytest, reportlab, playwright…). `make serve PORT=8080 HOST=0.0.0.0` to listen elsewhere
# (without PREUVES_API_KEYS the service keeps to 127.0.0.1 unless PREUVES_ALLOW_ANONYMOUS=1).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test bench system-deps schema clean

# python-magic needs the system libmagic; the tests need ffmpeg and qpdf to make real fixtures.
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then \
		echo "installing libmagic1 (needed by python-magic)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1; \
	fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(DEV_STAMP)

serve: $(STAMP)
	$(BIN)/preuves serve --host $(HOST) --port $(PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run

schema: $(STAMP)
	$(BIN)/python -m validator_core.schema > validator_core/schema/report.schema.json

clean:
	rm -rf $(VENV) build *.egg-info
