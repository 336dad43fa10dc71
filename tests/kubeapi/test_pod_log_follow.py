"""Contract: ``pods/log?follow=true`` streams what is stored, then each line added later, until the pod goes."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from urllib3.exceptions import ProtocolError

from kubeapi import KubeAPIServer
from kubeapi.helpers import NS

END = b"(end)"


def _follow(core: client.CoreV1Api, **options: Any) -> queue.Queue[bytes | Exception]:
    """Follow the pod's log on a thread: each chunk as it arrives, then ``END`` or the error that broke it."""
    chunks: queue.Queue[bytes | Exception] = queue.Queue()
    response = core.read_namespaced_pod_log("mgr", NS, follow=True, _preload_content=False, **options)

    def read() -> None:
        try:
            for chunk in response.stream(None):
                chunks.put(chunk)
            chunks.put(END)
        except ProtocolError as exc:
            chunks.put(exc)
    threading.Thread(target=read, daemon=True).start()
    return chunks


def _next(chunks: queue.Queue[bytes | Exception]) -> bytes | Exception:
    return chunks.get(timeout=2)


@pytest.fixture
def followed(api: KubeAPIServer, core: client.CoreV1Api) -> Iterator[queue.Queue[bytes | Exception]]:
    api.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mgr", "namespace": NS},
                       "spec": {"containers": [{"name": "longhorn-manager"}]}}])
    api.add_pod_log(NS, "mgr", ["one", "two"])
    chunks = _follow(core)
    api.wait_for_log_streams(1)
    yield chunks


def test_follow_sends_the_stored_lines_then_each_added_line_until_the_pod_is_deleted(
        api: KubeAPIServer, followed: queue.Queue[bytes | Exception]) -> None:
    assert _next(followed) == b"one\ntwo\n" and api.log_streams == ["mgr"]
    api.add_pod_log(NS, "mgr", "three")
    assert _next(followed) == b"three\n"
    api.delete("pods", "mgr", NS)
    assert _next(followed) == END  # a clean end: the chunked terminator
    api.wait_for_log_streams(0)
    assert api.log_streams == []


def test_a_cut_log_stream_breaks_and_server_stop_ends_the_others(
        api: KubeAPIServer, core: client.CoreV1Api, followed: queue.Queue[bytes | Exception]) -> None:
    assert _next(followed) == b"one\ntwo\n"
    assert api.faults.drop_log_streams() == 1
    assert isinstance(_next(followed), ProtocolError)  # no terminator: the client sees a broken stream
    stamped = _follow(core, timestamps=True, since_seconds=60)
    stamped_first = _next(stamped)
    assert isinstance(stamped_first, bytes) and stamped_first.endswith(b"Z two\n") and stamped_first[:4].isdigit()
    api.stop()
    ended = _next(stamped)  # the stream ends rather than hang, cleanly or cut with the connections
    assert ended == END or isinstance(ended, ProtocolError)
