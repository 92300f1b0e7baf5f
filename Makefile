# Two commands on a fresh machine:
#   make run   -> set up .venv and serve the chat app on the default article
#   make test  -> set up .venv (and a browser) and run every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test eval index browser clean

run: $(STAMP)
	$(PY) app.py

# pyflakes-level lint first (unused imports, undefined names), then pytest.
# pytest exits 5 when it collected no tests: that is a failure, not a pass.
test: $(STAMP) browser
	$(VENV)/bin/ruff check --select F src app.py eval tests
	$(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

eval: $(STAMP)
	$(PY) eval/run.py --ablations --update-readme

index: $(STAMP)
	$(VENV)/bin/article-qa build data/digital-government.txt --index index

# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser tests drive Debian's chromium (Playwright cannot download its own
# here); CJK fonts make the Chinese text render.
browser:
	@if ! dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; \
	  else echo "chromium is missing: sudo apt-get install chromium fonts-noto-cjk (browser tests skip without it)"; fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
