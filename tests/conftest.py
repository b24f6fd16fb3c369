"""Shared fixtures. Slow tests (real kernels, TensorFlow/PyTorch) are marked ``slow``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
