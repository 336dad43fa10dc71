"""``ClusterState.arriving``: a state whose types arrive one by one, each lookup waiting for its own type."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest

from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, ReadStatus, SourceInfo


def _read(kind: k.Kind, *names: str) -> tuple[list[dict[str, Any]], Coverage]:
    objs = [{"metadata": {"name": n, "namespace": "longhorn-system"}} for n in names]
    return objs, Coverage(kind.key, ReadStatus.READ, count=len(objs))


def test_a_type_that_arrived_is_usable_while_another_is_still_read() -> None:
    images: Future[Any] = Future()
    replicas: Future[Any] = Future()
    state = ClusterState.arriving(SourceInfo("live", "https://k8s"),
                                  {k.BACKING_IMAGES.key: images, k.LH_REPLICAS.key: replicas})
    images.set_result(_read(k.BACKING_IMAGES, "vmi-a"))
    assert state.get(k.BACKING_IMAGES, "vmi-a") is not None
    assert state.usable(k.BACKING_IMAGES)
    assert not replicas.done()  # nothing above waited for it

    threading.Timer(0.05, replicas.set_result, [_read(k.LH_REPLICAS, "r-1", "r-2")]).start()
    assert [o["metadata"]["name"] for o in state.objects(k.LH_REPLICAS)] == ["r-1", "r-2"]  # waits for it
    assert list(state.coverage) == [k.BACKING_IMAGES.key, k.LH_REPLICAS.key]
    assert sum(c.count for c in state.coverage.values()) == 3
    state.wait()


def test_what_a_read_raised_surfaces_where_the_type_is_looked_at() -> None:
    broken: Future[Any] = Future()
    broken.set_exception(RuntimeError("decoder bug"))
    state = ClusterState.arriving(SourceInfo("live", "https://k8s"), {k.LH_VOLUMES.key: broken})
    with pytest.raises(RuntimeError, match="decoder bug"):
        state.objects(k.LH_VOLUMES)
    with pytest.raises(RuntimeError, match="decoder bug"):
        state.wait()


def test_types_never_asked_for_are_missing_not_awaited() -> None:
    state = ClusterState.arriving(SourceInfo("live", "https://k8s"), {})
    assert state.objects(k.NODES) == ()
    assert state.status(k.NODES) is ReadStatus.MISSING
    state.wait()
