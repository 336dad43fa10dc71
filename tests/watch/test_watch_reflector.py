"""kube.watch on the emulator: LIST then WATCH, bookmarks, resume after a cut, relist after 410, and
retries that never end the stream."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubeapi import KubeAPIServer
from kubeapi.helpers import LONGHORN_162, NS, backing_image
from watch_support import FAST

from hvguard.kube.client import connect
from hvguard.kube.watch import Changed, Listed, Reflector, StreamEvent, StreamState, list_objects
from hvguard.state import kinds as k
from hvguard.watch.streams import Watched


class Sink:
    def __init__(self) -> None:
        self.events: list[StreamEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: StreamEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, done: Callable[[list[StreamEvent]], bool], timeout: float = 5.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: done(self.events), timeout), self.events

    def changed(self) -> list[tuple[str, str]]:
        return [(e.type, e.obj["metadata"]["name"]) for e in self.events if isinstance(e, Changed)]

    def lists(self) -> list[Listed]:
        return [e for e in self.events if isinstance(e, Listed)]


@pytest.fixture
def longhorn(tmp_path: Path) -> Iterator[tuple[KubeAPIServer, Path]]:
    with KubeAPIServer(bookmark_interval=0.2) as api:
        api.install_crds(LONGHORN_162)
        api.apply(backing_image("a"))
        yield api, api.write_kubeconfig(tmp_path / "kubeconfig")


Follow = Callable[[], tuple[Reflector, Sink, threading.Thread]]


@pytest.fixture
def follow(longhorn: tuple[KubeAPIServer, Path]) -> Iterator[Follow]:
    """Start a reflector on backing images (no client-side retries, so faults reach the reflector)."""
    started: list[tuple[Reflector, threading.Thread]] = []

    def start() -> tuple[Reflector, Sink, threading.Thread]:
        sink = Sink()
        kube = connect(longhorn[1], None, retries=0, deadline=math.inf)
        reflector = Reflector(kube, Watched(k.BACKING_IMAGES).target(), sink, backoff=FAST)
        thread = threading.Thread(target=reflector.run, daemon=True)
        thread.start()
        started.append((reflector, thread))
        sink.wait_for(lambda events: any(isinstance(e, StreamState) and e.up for e in events))
        longhorn[0].wait_for_watches(1)  # the server registers a watch just after its headers go out
        return reflector, sink, thread

    yield start
    for reflector, thread in started:
        reflector.stop()
        thread.join(2)
        reflector.kube.close()


def test_list_then_watch_delivers_each_change_once(longhorn: tuple[KubeAPIServer, Path], follow: Follow) -> None:
    api, _ = longhorn
    _, sink, _ = follow()
    assert [[o["metadata"]["name"] for o in listed.objects] for listed in sink.lists()] == [["a"]]
    api.apply(backing_image("b"))
    api.patch("lhbi", "a", {"spec": {"checksum": "x"}}, NS)
    api.delete("lhbi", "b", NS)
    sink.wait_for(lambda events: len(sink.changed()) == 3)
    assert sink.changed() == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    assert sink.lists()[0].objects[0]["kind"] == "BackingImage"


def test_bookmarks_move_the_resume_point_without_events(longhorn: tuple[KubeAPIServer, Path], follow: Follow) -> None:
    api, _ = longhorn
    reflector, sink, _ = follow()
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "elsewhere"}})
    target = int(api.resource_version)
    deadline = time.monotonic() + 3
    while int(reflector.resource_version or 0) < target:
        assert time.monotonic() < deadline, "no bookmark moved the resourceVersion"
        time.sleep(0.05)
    assert sink.changed() == []


def test_a_cut_stream_resumes_after_the_last_event_without_loss_or_repeats(
        longhorn: tuple[KubeAPIServer, Path], follow: Follow) -> None:
    api, _ = longhorn
    _, sink, _ = follow()
    api.faults.drop_watch_after(1, resource="backingimages")
    api.faults.drop_watches()  # the next stream is the one cut after one event
    sink.wait_for(lambda events: sum(isinstance(e, StreamState) and e.up for e in events) == 2)
    for name in ("b", "c", "d"):
        api.apply(backing_image(name))
    sink.wait_for(lambda events: len(sink.changed()) == 3)
    time.sleep(0.3)
    assert sink.changed() == [("ADDED", "b"), ("ADDED", "c"), ("ADDED", "d")]
    assert len(sink.lists()) == 1  # resumed, never relisted
    assert any(not e.up and "broken" in e.reason for e in sink.events if isinstance(e, StreamState))


def test_410_lists_again_and_the_list_holds_what_changed_meanwhile(
        longhorn: tuple[KubeAPIServer, Path], follow: Follow) -> None:
    api, _ = longhorn
    _, sink, _ = follow()
    with api.faults.delay(0.3, resource="backingimages", verbs={"list"}):
        api.faults.expire_next_watch("backingimages")
        api.faults.drop_watches()
        api.apply(backing_image("while-away"))
        sink.wait_for(lambda events: len(sink.lists()) == 2)
    assert sorted(o["metadata"]["name"] for o in sink.lists()[1].objects) == ["a", "while-away"]
    assert any(not e.up and "410" in e.reason for e in sink.events if isinstance(e, StreamState))


def test_api_errors_are_retried_and_never_end_the_stream(longhorn: tuple[KubeAPIServer, Path], follow: Follow) -> None:
    api, _ = longhorn
    api.faults.fail("backingimages", times=3, verbs={"list"})
    denied = api.faults.deny("backingimages", verbs={"watch"})
    threading.Timer(0.5, denied.remove).start()
    _, sink, _ = follow()  # returns once a watch is open: after three 500s and some 403s
    reasons = [e.reason for e in sink.events if isinstance(e, StreamState) and not e.up]
    assert sum("500" in reason for reason in reasons) == 3 and any("403" in reason for reason in reasons)
    assert len(sink.lists()) == 1
    api.apply(backing_image("after"))
    sink.wait_for(lambda events: sink.changed() == [("ADDED", "after")])


def test_lists_page_by_page_and_return_the_snapshot_version(longhorn: tuple[KubeAPIServer, Path]) -> None:
    api, kubeconfig = longhorn
    for name in ("b", "c", "d"):
        api.apply(backing_image(name))
    kube = connect(kubeconfig, None)
    objects, version = list_objects(kube, Watched(k.BACKING_IMAGES).target(), page_size=1)
    kube.close()
    assert [o["metadata"]["name"] for o in objects] == ["a", "b", "c", "d"] and version == api.resource_version
    assert len(api.requests(verb="list", resource="backingimages")) == 4


def test_stop_ends_a_blocked_stream_at_once(follow: Follow) -> None:
    reflector, sink, _ = follow()
    thread = threading.Thread(target=reflector.run)  # the fixture's thread is the one blocked in a read
    started = time.monotonic()
    reflector.stop()
    assert not thread.is_alive()
    time.sleep(0.1)
    assert time.monotonic() - started < 1
