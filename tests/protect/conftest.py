"""Fixtures for protect: the demo cluster served on the API emulator, fake backup controllers, the CLI in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubeapi import KubeAPIServer
from live.live_support import served
from protect_support import BackupControllers, Run

from hvguard.cli import boundary
from hvguard.cli.app import cli
from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster


@pytest.fixture(scope="session")
def demo() -> SyntheticCluster:
    return demo_cluster()


@pytest.fixture(scope="session")
def demo_bundle(demo: SyntheticCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "demo.zip"
    write_bundle(demo, path)
    return path


@pytest.fixture
def cluster(demo: SyntheticCluster) -> SyntheticCluster:
    """The cluster the ``api`` fixture serves; override it in a test module to serve a variant."""
    return demo


@pytest.fixture
def api(cluster: SyntheticCluster) -> Iterator[KubeAPIServer]:
    with served(cluster) as server:
        yield server


@pytest.fixture
def kubeconfig(api: KubeAPIServer, tmp_path: Path) -> Path:
    return api.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def controllers(api: KubeAPIServer) -> Iterator[BackupControllers]:
    running = BackupControllers(api).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where snapshots and the journal go."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def hvguard(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in-process through the error boundary: (exit code, stdout, stderr)."""
    def run(*args: object) -> tuple[int, str, str]:
        argv = [str(a) for a in args]
        code = boundary.run(lambda: cli.main(argv, prog_name="hvguard", standalone_mode=False), debug=False)
        out, err = capsys.readouterr()
        return code, out, err
    return run


