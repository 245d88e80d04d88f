"""Shared fixtures: tiny seeded models and the SmolLM2 tokenizer (converted once by make)."""

from __future__ import annotations

import pytest
import torch

from unpactlib.models import convert_embedded, tiny_llama


def pytest_collection_modifyitems(config, items):
    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs CUDA")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def tok():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(convert_embedded())


@pytest.fixture(scope="session")
def tiny_model():
    """A 2-layer random Llama over a 97-token vocabulary (fp32, eval mode)."""
    return tiny_llama(vocab_size=97, seed=0).eval()


@pytest.fixture(scope="session")
def tiny_smol(tok):
    """A 2-layer random Llama with SmolLM2's vocabulary, for tests that need real text."""
    return tiny_llama(vocab_size=len(tok), seed=1).eval()
