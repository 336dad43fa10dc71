"""Fixtures for the synthetic-cluster tests: the demo cluster and its bundle, built once."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from typing import Any

import pytest

from hvguard.synth.bundle_writer import bundle_zip
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster


@pytest.fixture(scope="session")
def demo() -> SyntheticCluster:
    return demo_cluster()


@pytest.fixture(scope="session")
def mitigated_demo() -> SyntheticCluster:
    return demo_cluster("v1.7.2")


@pytest.fixture(scope="session")
def demo_zip(demo: SyntheticCluster) -> bytes:
    return bundle_zip(demo)


@pytest.fixture(scope="session")
def zip_names(demo_zip: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(demo_zip)) as archive:
        return archive.namelist()


@pytest.fixture(scope="session")
def bundle(demo_zip: bytes) -> dict[str, bytes]:
    """The bundle's files by path below the top folder (directories left out)."""
    with zipfile.ZipFile(io.BytesIO(demo_zip)) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


@pytest.fixture(scope="session")
def by_kind(demo: SyntheticCluster) -> dict[str, list[dict[str, Any]]]:
    """The demo's objects by ``<apiVersion>/<kind>`` (``v1/Node``, ``longhorn.io/v1beta2/Node``)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in demo.objects:
        grouped[f"{obj['apiVersion']}/{obj['kind']}"].append(obj)
    return grouped
