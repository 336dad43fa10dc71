"""Fault injection and authentication, as seen by the official client."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from kubeapi import KubeAPIServer
from kubeapi.helpers import LH, NS, backing_image, raw


def test_forbidden_on_one_resource_until_removed(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    fault = longhorn.faults.deny("backingimages", group="longhorn.io")
    with pytest.raises(ApiException) as denied:
        custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    body = json.loads(denied.value.body)
    assert denied.value.status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == ('backingimages.longhorn.io is forbidden: User "test-user" cannot list resource '
                               '"backingimages" in API group "longhorn.io" in the namespace "longhorn-system"')
    assert custom.list_namespaced_custom_object(*LH, NS, "settings")["items"] == []
    fault.remove()
    assert custom.list_namespaced_custom_object(*LH, NS, "backingimages")["items"] == []
    assert fault.hits == 1


def test_forbidden_per_verb(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    longhorn.apply(backing_image("img"))
    with longhorn.faults.deny("backingimages", verbs={"patch", "update"}):
        assert custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")
        with pytest.raises(ApiException) as denied:
            custom.patch_namespaced_custom_object(*LH, NS, "backingimages", "img", {"spec": {"checksum": "c"}})
        assert denied.value.status == 403
    assert [(w.verb, w.status) for w in longhorn.writes()] == [("patch", 403)]
    custom.patch_namespaced_custom_object(*LH, NS, "backingimages", "img", {"spec": {"checksum": "c"}})


def test_server_errors_for_the_next_n_requests_then_success(longhorn: KubeAPIServer,
                                                            custom: client.CustomObjectsApi) -> None:
    longhorn.faults.fail("backingimages", times=2)
    for _ in range(2):
        with pytest.raises(ApiException) as failed:
            custom.list_namespaced_custom_object(*LH, NS, "backingimages")
        assert failed.value.status == 500 and json.loads(failed.value.body)["reason"] == "InternalError"
    custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    assert [r.status for r in longhorn.requests(verb="list", resource="backingimages")] == [500, 500, 200]


def test_service_unavailable_everywhere_including_discovery(api: KubeAPIServer,
                                                            api_client: client.ApiClient) -> None:
    api.faults.fail(code=503, times=1)
    with pytest.raises(ApiException) as down:
        client.VersionApi(api_client).get_code()
    assert down.value.status == 503 and json.loads(down.value.body)["reason"] == "ServiceUnavailable"
    assert client.VersionApi(api_client).get_code().major == "1"


def test_throttling_with_retry_after(longhorn: KubeAPIServer) -> None:
    longhorn.faults.throttle("backingimages", times=1, retry_after=3)
    code, headers, body = raw(longhorn, "GET", f"/apis/longhorn.io/v1beta2/namespaces/{NS}/backingimages")
    assert (code, headers["Retry-After"]) == (429, "3")
    assert body["reason"] == "TooManyRequests" and body["details"]["retryAfterSeconds"] == 3
    assert raw(longhorn, "GET", f"/apis/longhorn.io/v1beta2/namespaces/{NS}/backingimages")[0] == 200


def test_official_client_reads_honour_retry_after(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    """urllib3's default Retry re-sends a GET answered 429 + Retry-After, after the delay."""
    longhorn.faults.throttle("backingimages", times=1, retry_after=1)
    started = time.monotonic()
    custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    assert time.monotonic() - started >= 1
    assert [r.status for r in longhorn.requests(verb="list", resource="backingimages")] == [429, 200]


def test_added_latency(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    with longhorn.faults.delay(0.3, resource="backingimages"):
        started = time.monotonic()
        custom.list_namespaced_custom_object(*LH, NS, "backingimages")
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        custom.list_namespaced_custom_object(*LH, NS, "settings")
        assert time.monotonic() - started < 0.3
    started = time.monotonic()
    custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    assert time.monotonic() - started < 0.3


def test_token_authentication(tmp_path: Path) -> None:
    with KubeAPIServer(token="s3cret") as api:
        good = config.new_client_from_config(config_file=str(api.write_kubeconfig(tmp_path / "good")))
        bad = config.new_client_from_config(config_file=str(api.write_kubeconfig(tmp_path / "bad", token="wrong")))
        assert client.CoreV1Api(good).list_namespace().items == []
        with pytest.raises(ApiException) as unauthorized:
            client.CoreV1Api(bad).list_namespace()
        assert unauthorized.value.status == 401
        assert json.loads(unauthorized.value.body)["reason"] == "Unauthorized"
        code, _, _ = raw(api, "GET", "/version")
        assert code == 401
        assert [r.status for r in api.requests()] == [200, 401, 401]
        good.close()
        bad.close()


def test_injected_unauthorized(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    with longhorn.faults.deny("backingimages", code=401), pytest.raises(ApiException) as unauthorized:
        custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    assert unauthorized.value.status == 401


def test_clear_removes_every_rule(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    longhorn.faults.deny("backingimages")
    longhorn.faults.fail(times=100)
    longhorn.faults.clear()
    assert custom.list_namespaced_custom_object(*LH, NS, "backingimages")["items"] == []
