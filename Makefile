# The project's own commands. `make demo` and `make test` build .venv/ first
# when it is missing or older than the lock file.
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv

.PHONY: install demo test bench lint format lock clean translations

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-dev.lock package-lock.json
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet "uv==$(UV_VERSION)"
	# Exactly the pinned, hash-checked versions; then the project itself, editable.
	$(UV) pip sync --quiet --python $(VENV)/bin/python requirements-dev.lock
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	# Catalogs are compiled here (not committed) so they never drift from the .po files.
	$(VENV)/bin/pybabel compile --statistics -d shared/translations
	# axe-core for the browser accessibility tests, from the lock file.
	if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; fi
	touch $@

demo: install
	$(VENV)/bin/glanage demo

# The production-engine tests (tests/production) need PostgreSQL + PostGIS and
# Redis on localhost; ensure-services starts or installs them where it can.
test: install
	bash .ci/ensure-services
	$(VENV)/bin/pytest

# Speed and memory, measured against the alternatives (docs/performance.md).
# Needs the same services as the tests; `make bench BENCH=ranking` runs one.
bench: install
	bash .ci/ensure-services
	bash bench/ensure-tools
	$(VENV)/bin/python -m bench $(BENCH)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	bash .ci/security-checks

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# After changing dependencies in pyproject.toml: pin them again, with hashes.
lock: install
	$(UV) pip compile pyproject.toml --python-version 3.11 --generate-hashes \
		--quiet -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 \
		--generate-hashes --quiet -o requirements-dev.lock

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

# After changing user-facing text: refresh the catalog template and the French
# catalog, then translate the new entries in shared/translations/fr/.
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k t:2 -k tn:2,3 -k _l -k lazy_gettext \
		--no-location --omit-header -o shared/translations/messages.pot .
	# Keeps the catalog's header: it holds French's plural forms.
	$(VENV)/bin/pybabel update -i shared/translations/messages.pot \
		-d shared/translations --no-location --no-fuzzy-matching \
		--ignore-obsolete --width 88
