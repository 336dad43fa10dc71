"""Fixtures for the scale tests: the ``small`` generated cluster and its bundle, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.generator import generate
from hvguard.synth.model import SyntheticCluster


@pytest.fixture(scope="session")
def small() -> SyntheticCluster:
    return generate("small")


@pytest.fixture(scope="session")
def small_bundle(small: SyntheticCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "small.zip"
    write_bundle(small, path)
    return path
