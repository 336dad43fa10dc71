"""Fixtures for the watch tests: the demo cluster on the API emulator, and watchers running against it in
this process with a recording output."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubeapi import KubeAPIServer
from live.live_support import serve
from watch_support import FAST, Recorder, Running

from hvguard.kube.client import connect
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster
from hvguard.watch.loop import Watcher
from hvguard.watch.outputs import Output
from hvguard.watch.podlogs import LogFollowing
from hvguard.watch.state import WatchState
from hvguard.watch.streams import WATCHED, Streams


@pytest.fixture(scope="session")
def demo() -> SyntheticCluster:
    return demo_cluster()


@pytest.fixture
def api(demo: SyntheticCluster) -> Iterator[KubeAPIServer]:
    server = serve(demo)
    server.bookmark_interval = 0.2
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kubeconfig(api: KubeAPIServer, tmp_path: Path) -> Path:
    return api.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def start_watcher(api: KubeAPIServer, kubeconfig: Path) -> Iterator[Callable[..., Running]]:
    """Start a watcher (extra outputs, log following and Watcher options as arguments); stopped at teardown."""
    started: list[Running] = []

    def start(*outputs: Output, state: WatchState | None = None, logs: LogFollowing | None = None,
              **options: Any) -> Running:
        recorder = Recorder()
        kube = connect(kubeconfig, None, pool_size=len(WATCHED) + 8, deadline=math.inf)
        watcher = Watcher(state or WatchState(), [recorder, *outputs], watched=[w.kind for w in WATCHED], **options)
        streams = Streams(kube, backoff=FAST, logs=logs)
        streams.start(watcher.put)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        running = Running(api, watcher, recorder, streams, thread, list(outputs))
        started.append(running)
        running.wait_synced()
        return running

    yield start
    for running in started:
        running.streams.stop()
        running.watcher.stop()
        running.thread.join(2)
        for output in running.outputs:
            output.close(interrupted=True)
        running.streams.kube.close()
