"""A test API server holding the demo cluster, and the demo bundle written from the same objects.

Imported by the live tests' ``conftest.py`` (fixtures) and by tests elsewhere that serve clusters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kubeapi import KubeAPIServer

from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster


def serve(cluster: SyntheticCluster, **options: Any) -> KubeAPIServer:
    """A started test API server holding ``cluster`` (its CRDs installed first, so objects are pruned as live)."""
    api = KubeAPIServer(**options).start()
    for crd in cluster.crds:
        api.install_crd(crd)
    api.load_objects(cluster.objects)
    return api


@contextmanager
def served(cluster: SyntheticCluster, **options: Any) -> Iterator[KubeAPIServer]:
    """``serve`` for the length of a ``with`` block (fixtures: ``with served(c) as api: yield api``)."""
    api = serve(cluster, **options)
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture(scope="module")
def demo() -> SyntheticCluster:
    return demo_cluster()


@pytest.fixture
def demo_api(demo: SyntheticCluster) -> Iterator[KubeAPIServer]:
    with served(demo) as api:
        yield api


@pytest.fixture
def kubeconfig(demo_api: KubeAPIServer, tmp_path: Path) -> Path:
    return demo_api.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture(scope="module")
def demo_bundle(demo: SyntheticCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "demo.zip"
    write_bundle(demo, path)
    return path


def comparable(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings minus the one a bundle alone can raise (namespaces it did not collect)."""
    return [f for f in findings if f["id"] != "source/namespaces-not-collected"]


Comparable = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
