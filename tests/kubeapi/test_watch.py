"""WATCH contract: resume from a resourceVersion, bookmarks, 410, dropped streams, selectors."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from urllib3.exceptions import ProtocolError

from kubeapi import KubeAPIServer
from kubeapi.helpers import LH, LONGHORN_162, NS, backing_image

WATCH_PATH = f"/apis/longhorn.io/v1beta2/namespaces/{NS}/backingimages?watch=1"


def stream_events(api: KubeAPIServer, query: str) -> tuple[http.client.HTTPResponse, list[dict[str, Any]]]:
    """Read a raw watch until the server ends it; returns the response and the decoded events."""
    conn = http.client.HTTPConnection("127.0.0.1", int(api.url.rsplit(":", 1)[1]), timeout=10)
    conn.request("GET", WATCH_PATH + query)
    response = conn.getresponse()
    events = [json.loads(line) for line in response.read().splitlines() if line]
    conn.close()
    return response, events


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["object"]["metadata"].get("name", "")) for e in events]


def test_watch_from_resource_version_delivers_later_changes_exactly_once(
        longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    for name in ("a", "b", "c"):
        longhorn.apply(backing_image(name))
    rv = custom.list_namespaced_custom_object(*LH, NS, "backingimages")["metadata"]["resourceVersion"]
    longhorn.patch("lhbi", "b", {"spec": {"checksum": "x"}}, NS)
    longhorn.apply(backing_image("d"))
    longhorn.delete("lhbi", "c", NS)
    longhorn.apply(backing_image("other-ns", namespace="default"))

    w = watch.Watch()
    events = list(w.stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                           resource_version=rv, timeout_seconds=1))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("MODIFIED", "b"), ("ADDED", "d"), ("DELETED", "c")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)
    again = list(watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                      resource_version=w.resource_version, timeout_seconds=1))
    assert again == []


def test_watch_without_resource_version_starts_with_synthetic_added(longhorn: KubeAPIServer) -> None:
    longhorn.apply(backing_image("a"))
    longhorn.apply(backing_image("b"))
    response, events = stream_events(longhorn, "&timeoutSeconds=1")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert summary(events) == [("ADDED", "a"), ("ADDED", "b")]
    _, from_zero = stream_events(longhorn, "&resourceVersion=0&timeoutSeconds=1")
    assert summary(from_zero) == [("ADDED", "a"), ("ADDED", "b")]


def test_python_side_changes_reach_an_open_watch(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    received: list[dict[str, Any]] = []
    w = watch.Watch()

    def consume() -> None:
        for event in w.stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages", timeout_seconds=5):
            received.append(event)
            if len(received) == 3:
                w.stop()

    thread = threading.Thread(target=consume)
    thread.start()
    longhorn.wait_for_watches(1)
    longhorn.apply(backing_image("img"))
    longhorn.patch("lhbi", "img", {"status": {"uuid": "u"}}, NS)
    longhorn.delete("lhbi", "img", NS)
    thread.join(timeout=5)
    assert [(e["type"], e["object"].get("status")) for e in received] == [
        ("ADDED", None), ("MODIFIED", {"uuid": "u"}), ("DELETED", {"uuid": "u"})]


def test_bookmarks_carry_only_the_resource_version(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    longhorn.apply(backing_image("a"))
    rv = longhorn.resource_version
    events = list(watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                       resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=1))
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert len(bookmarks) >= 2 and len(bookmarks) == len(events)
    assert bookmarks[0]["object"] == {"kind": "BackingImage", "apiVersion": "longhorn.io/v1beta2",
                                      "metadata": {"resourceVersion": rv}}
    plain = list(watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                      resource_version=rv, timeout_seconds=1))
    assert plain == []


def test_too_old_resource_version_is_one_410_error_event() -> None:
    with KubeAPIServer(watch_history=5) as api:
        api.install_crds(LONGHORN_162)
        for i in range(10):
            api.apply(backing_image(f"bi-{i}"))
        _, events = stream_events(api, "&resourceVersion=2&timeoutSeconds=5")
        assert len(events) == 1
        status = events[0]["object"]
        assert events[0]["type"] == "ERROR"
        assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
        assert status["message"].startswith("too old resource version: 2 (")
        _, recent = stream_events(api, f"&resourceVersion={int(api.resource_version) - 2}&timeoutSeconds=1")
        assert summary(recent) == [("ADDED", "bi-8"), ("ADDED", "bi-9")]


def test_official_client_raises_410_when_it_cannot_resume(longhorn: KubeAPIServer,
                                                         custom: client.CustomObjectsApi) -> None:
    longhorn.faults.expire_next_watch("backingimages")
    with pytest.raises(ApiException) as gone:
        list(watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                  resource_version="1", timeout_seconds=1))
    assert gone.value.status == 410
    assert list(watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                     resource_version=longhorn.resource_version, timeout_seconds=1)) == []


def test_dropped_stream_then_resume_from_last_seen_version(longhorn: KubeAPIServer,
                                                          custom: client.CustomObjectsApi) -> None:
    rv = longhorn.resource_version
    for i in range(4):
        longhorn.apply(backing_image(f"bi-{i}"))
    longhorn.faults.drop_watch_after(2, resource="backingimages")
    w = watch.Watch()
    seen: list[str] = []
    with pytest.raises(ProtocolError):
        for event in w.stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                              resource_version=rv, timeout_seconds=5):
            seen.append(event["object"]["metadata"]["name"])
    assert seen == ["bi-0", "bi-1"]
    rest = watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                resource_version=w.resource_version, timeout_seconds=1)
    assert [e["object"]["metadata"]["name"] for e in rest] == ["bi-2", "bi-3"]


def test_drop_watches_cuts_open_streams(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    outcome: list[BaseException] = []

    def consume() -> None:
        try:
            for _ in watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                          resource_version=longhorn.resource_version, timeout_seconds=10):
                pass
        except Exception as exc:  # the outcome is what the test checks
            outcome.append(exc)

    thread = threading.Thread(target=consume)
    thread.start()
    longhorn.wait_for_watches(1)
    started = time.monotonic()
    assert longhorn.faults.drop_watches() == 1
    thread.join(timeout=5)
    assert time.monotonic() - started < 2
    assert len(outcome) == 1 and isinstance(outcome[0], ProtocolError)
    deadline = time.monotonic() + 2  # the server thread unregisters the cut stream just after closing it
    while longhorn.open_watches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert longhorn.open_watches == 0


def test_watch_timeout_seconds_ends_the_stream(longhorn: KubeAPIServer) -> None:
    started = time.monotonic()
    response, events = stream_events(longhorn, "&timeoutSeconds=1")
    assert events == [] and response.status == 200
    assert 0.9 <= time.monotonic() - started < 3


def test_label_selector_watch_reports_objects_entering_and_leaving(longhorn: KubeAPIServer,
                                                                   custom: client.CustomObjectsApi) -> None:
    rv = longhorn.resource_version
    longhorn.apply(backing_image("in", labels={"app": "lh"}))
    longhorn.apply(backing_image("out"))
    longhorn.patch("lhbi", "out", {"metadata": {"labels": {"app": "lh"}}}, NS)
    longhorn.patch("lhbi", "in", {"metadata": {"labels": None}}, NS)
    longhorn.patch("lhbi", "in", {"spec": {"checksum": "unseen"}}, NS)
    events = watch.Watch().stream(custom.list_namespaced_custom_object, *LH, NS, "backingimages",
                                  resource_version=rv, label_selector="app=lh", timeout_seconds=1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "in"), ("ADDED", "out"), ("DELETED", "in")]


def test_watch_across_namespaces_and_kubectl_style_params(longhorn: KubeAPIServer) -> None:
    rv = longhorn.resource_version
    longhorn.apply(backing_image("x", namespace="ns-a"))
    longhorn.apply(backing_image("y", namespace="ns-b"))
    conn = http.client.HTTPConnection("127.0.0.1", int(longhorn.url.rsplit(":", 1)[1]), timeout=10)
    conn.request("GET", f"/apis/longhorn.io/v1beta2/backingimages?watch=true&resourceVersion={rv}"
                        "&timeoutSeconds=1&fieldSelector=metadata.namespace%3Dns-b")
    events = [json.loads(line) for line in conn.getresponse().read().splitlines()]
    conn.close()
    assert summary(events) == [("ADDED", "y")]
    assert longhorn.requests(verb="watch", resource="backingimages")[0].query["watch"] == "true"
