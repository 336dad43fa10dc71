"""kubectl against the emulator through a generated kubeconfig (skipped without kubectl)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kubeapi import KubeAPIServer
from kubeapi.helpers import LONGHORN_172, NS, backing_image

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def kubectl(api: KubeAPIServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(api.write_kubeconfig(tmp_path / "kubeconfig"))}
    return subprocess.run(["kubectl", "--cache-dir", str(tmp_path / "cache"), *args],
                          env=env, capture_output=True, text=True, timeout=60, check=False)


def test_kubectl_get_by_full_name(longhorn: KubeAPIServer, tmp_path: Path) -> None:
    for name in ("img-a", "img-b"):
        longhorn.apply(backing_image(name))
    result = kubectl(longhorn, tmp_path, "get", "backingimages.longhorn.io", "-n", NS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "AGE"] and [line.split()[0] for line in lines[1:]] == ["img-a", "img-b"]


def test_kubectl_short_name_with_chunk_size(longhorn: KubeAPIServer, tmp_path: Path) -> None:
    for i in range(5):
        longhorn.apply(backing_image(f"bi-{i}"))
    longhorn.clear_requests()
    result = kubectl(longhorn, tmp_path, "get", "lhbi", "-n", NS, "--chunk-size=2", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"backingimage.longhorn.io/bi-{i}" for i in range(5)]
    lists = longhorn.requests(verb="list", resource="backingimages")
    assert [r.query.get("limit") for r in lists] == ["2", "2", "2"]
    assert "continue" not in lists[0].query and all("continue" in r.query for r in lists[1:])


@pytest.mark.parametrize("verb", ["apply", "replace"])
def test_kubectl_upgrading_the_crd_switches_pruning(longhorn: KubeAPIServer, tmp_path: Path, verb: str) -> None:
    # --validate=false: client-side validation needs /openapi/v3, which the emulator does not serve.
    crd = LONGHORN_172 / "crd-backingimages.longhorn.io.yaml"
    result = kubectl(longhorn, tmp_path, verb, "--validate=false", "-f", str(crd))
    assert result.returncode == 0, result.stderr
    longhorn.apply(backing_image("img", minNumberOfCopies=2))
    result = kubectl(longhorn, tmp_path, "get", "lhbi", "img", "-n", NS, "-o", "jsonpath={.spec.minNumberOfCopies}")
    assert (result.returncode, result.stdout) == (0, "2")
