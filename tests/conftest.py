"""Fixtures shared by every test package (helpers live in ``support.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from support import write_bundle_zip


@pytest.fixture
def make_bundle(tmp_path: Path) -> Callable[..., Path]:
    def make(files: Mapping[str, str | bytes], name: str = "bundle.zip", top: str = "supportbundle_test/") -> Path:
        return write_bundle_zip(tmp_path / name, files, top)
    return make
