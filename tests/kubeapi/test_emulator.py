"""Contract of the emulator against the official client: discovery, LIST, reads and writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from kubeapi import KubeAPIServer, ResourceType, Version, read_yaml_documents
from kubeapi.helpers import LH, LONGHORN_162, LONGHORN_172, NS, backing_image, raw


def status_of(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


# ------------------------------------------------------------------ discovery


def test_core_discovery_lists_builtins_with_subresources(longhorn: KubeAPIServer) -> None:
    code, _, doc = raw(longhorn, "GET", "/api")
    assert code == 200 and doc["kind"] == "APIVersions" and doc["versions"] == ["v1"]
    _, _, v1 = raw(longhorn, "GET", "/api/v1")
    by_name = {r["name"]: r for r in v1["resources"]}
    assert by_name["pods"]["shortNames"] == ["po"] and by_name["pods"]["namespaced"] is True
    assert by_name["pods/log"] == {"name": "pods/log", "singularName": "", "namespaced": True,
                                   "kind": "Pod", "verbs": ["get"]}
    assert by_name["nodes"]["namespaced"] is False and "watch" in by_name["nodes"]["verbs"]
    assert {"namespaces", "events", "persistentvolumes", "persistentvolumeclaims", "configmaps"} <= set(by_name)


def test_group_discovery_from_real_crds(longhorn: KubeAPIServer, api_client: client.ApiClient) -> None:
    groups = client.ApisApi(api_client).get_api_versions()
    by_name = {g.name: g for g in groups.groups}
    assert {"apiextensions.k8s.io", "storage.k8s.io", "coordination.k8s.io", "longhorn.io"} <= set(by_name)
    assert by_name["longhorn.io"].preferred_version.version == "v1beta2"  # v1beta1 is served too in 1.6.2
    assert [v.version for v in by_name["longhorn.io"].versions] == ["v1beta2", "v1beta1"]

    _, _, group = raw(longhorn, "GET", "/apis/longhorn.io")
    assert group["kind"] == "APIGroup" and group["preferredVersion"]["groupVersion"] == "longhorn.io/v1beta2"

    resources = client.CustomObjectsApi(api_client).get_api_resources(*LH)
    by_res = {r.name: r for r in resources.resources}
    bi = by_res["backingimages"]
    assert (bi.kind, bi.singular_name, bi.namespaced) == ("BackingImage", "backingimage", True)
    assert bi.short_names == ["lhbi"]
    assert set(bi.verbs) == {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
    assert by_res["backingimages/status"].verbs == ["get", "patch", "update"]
    assert len([r for r in by_res if "/" not in r]) == 8


def test_version_endpoint(api: KubeAPIServer, api_client: client.ApiClient) -> None:
    info = client.VersionApi(api_client).get_code()
    assert (info.major, info.minor, info.git_version) == ("1", "29", "v1.29.9+rke2r1")


def test_unknown_paths_are_404_status(longhorn: KubeAPIServer) -> None:
    for path in ("/apis/longhorn.io/v9/backingimages", "/apis/nope.io/v1", "/openapi/v2",
                 "/apis/longhorn.io/v1beta2/widgets"):
        code, _, body = raw(longhorn, "GET", path)
        assert code == 404 and body["kind"] == "Status" and body["reason"] == "NotFound", path


# ------------------------------------------------------------------ LIST


def test_pagination_two_two_one_with_continue(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    for i in range(5):
        longhorn.apply(backing_image(f"bi-{i}"))
    longhorn.clear_requests()
    pages, token = [], None
    while True:
        page = custom.list_namespaced_custom_object(*LH, NS, "backingimages", limit=2, _continue=token)
        pages.append(page)
        token = page["metadata"].get("continue")
        if not token:
            break
    assert [[i["metadata"]["name"] for i in p["items"]] for p in pages] == [
        ["bi-0", "bi-1"], ["bi-2", "bi-3"], ["bi-4"]]
    assert [p["metadata"].get("remainingItemCount") for p in pages] == [3, 1, None]
    assert {p["metadata"]["resourceVersion"] for p in pages} == {longhorn.resource_version}
    assert pages[0]["kind"] == "BackingImageList" and pages[0]["apiVersion"] == "longhorn.io/v1beta2"
    assert len(longhorn.requests(verb="list", resource="backingimages")) == 3


def test_continued_pages_show_the_first_pages_snapshot(longhorn: KubeAPIServer,
                                                       custom: client.CustomObjectsApi) -> None:
    for name in ("a", "b", "c", "d"):
        longhorn.apply(backing_image(name))
    first = custom.list_namespaced_custom_object(*LH, NS, "backingimages", limit=2)
    longhorn.delete("lhbi", "c", NS)
    longhorn.apply(backing_image("e"))
    rest = custom.list_namespaced_custom_object(*LH, NS, "backingimages", _continue=first["metadata"]["continue"])
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c", "d"]
    fresh = custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    assert [i["metadata"]["name"] for i in fresh["items"]] == ["a", "b", "d", "e"]


def test_expired_continue_token_is_410(tmp_path: Path) -> None:
    with KubeAPIServer(watch_history=3) as api:
        api.install_crds(LONGHORN_162)
        for i in range(3):
            api.apply(backing_image(f"bi-{i}"))
        _, _, first = raw(api, "GET", f"/apis/longhorn.io/v1beta2/namespaces/{NS}/backingimages?limit=1")
        for i in range(4):  # the 3 retained events no longer reach back to the token's rv
            api.apply(backing_image(f"new-{i}"))
        code, _, body = raw(api, "GET", f"/apis/longhorn.io/v1beta2/namespaces/{NS}/backingimages"
                                        f"?limit=1&continue={first['metadata']['continue']}")
        assert (code, body["reason"]) == (410, "Expired")


def test_list_across_namespaces_and_cluster_scope(longhorn: KubeAPIServer, custom: client.CustomObjectsApi,
                                                  core: client.CoreV1Api) -> None:
    longhorn.apply(backing_image("z", namespace="a-ns"))
    longhorn.apply(backing_image("a", namespace="b-ns"))
    longhorn.apply(backing_image("m", namespace="a-ns"))
    everywhere = custom.list_cluster_custom_object(*LH, "backingimages")
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere["items"]] == [
        ("a-ns", "m"), ("a-ns", "z"), ("b-ns", "a")]
    longhorn.load_objects([{"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}} for n in ("n2", "n1")])
    assert [n.metadata.name for n in core.list_node().items] == ["n1", "n2"]


@pytest.mark.parametrize(("selector", "expected"), [
    ("app=lh", ["one", "two"]),
    ("app==lh,tier=gold", ["two"]),
    ("app!=lh", ["three", "four"]),
    ("tier", ["two", "three"]),
    ("!tier", ["one", "four"]),
    ("tier in (gold, silver)", ["two", "three"]),
    ("tier notin (gold)", ["one", "three", "four"]),
    ("app=lh,tier notin (silver)", ["one", "two"]),
])
def test_label_selectors(longhorn: KubeAPIServer, custom: client.CustomObjectsApi,
                         selector: str, expected: list[str]) -> None:
    for name, labels in [("one", {"app": "lh"}), ("two", {"app": "lh", "tier": "gold"}),
                         ("three", {"app": "x", "tier": "silver"}), ("four", {})]:
        longhorn.apply(backing_image(name, labels=labels))
    found = custom.list_namespaced_custom_object(*LH, NS, "backingimages", label_selector=selector)
    assert sorted(i["metadata"]["name"] for i in found["items"]) == sorted(expected)


def test_selector_errors_and_field_selectors(longhorn: KubeAPIServer, custom: client.CustomObjectsApi,
                                             core: client.CoreV1Api) -> None:
    for name in ("x", "y"):
        longhorn.apply(backing_image(name))
    found = custom.list_cluster_custom_object(*LH, "backingimages", field_selector="metadata.name=y")
    assert [i["metadata"]["name"] for i in found["items"]] == ["y"]
    found = custom.list_cluster_custom_object(
        *LH, "backingimages", field_selector=f"metadata.namespace={NS},metadata.name!=y")
    assert [i["metadata"]["name"] for i in found["items"]] == ["x"]
    with pytest.raises(ApiException) as bad_field:
        custom.list_cluster_custom_object(*LH, "backingimages", field_selector="spec.sourceType=download")
    assert bad_field.value.status == 400 and "field label not supported" in status_of(bad_field.value)["message"]
    with pytest.raises(ApiException) as bad_label:
        custom.list_cluster_custom_object(*LH, "backingimages", label_selector="a in (b")
    assert bad_label.value.status == 400
    longhorn.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": p, "namespace": NS},
                            "spec": {"nodeName": node, "containers": [{"name": "c"}]}}
                           for p, node in (("p1", "n1"), ("p2", "n2"))])
    pods = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=n2")
    assert [p.metadata.name for p in pods.items] == ["p2"]


# ------------------------------------------------------------------ GET and writes


def test_get_and_404_status_body(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    longhorn.apply(backing_image("img"))
    assert custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")["spec"]["disks"] == {"disk-1": ""}
    with pytest.raises(ApiException) as missing:
        custom.get_namespaced_custom_object(*LH, NS, "backingimages", "nope")
    body = status_of(missing.value)
    assert missing.value.status == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'backingimages.longhorn.io "nope" not found', "reason": "NotFound",
                    "details": {"name": "nope", "group": "longhorn.io", "kind": "backingimages"}, "code": 404}


def test_create_stamps_metadata_and_409_on_duplicate(longhorn: KubeAPIServer,
                                                     custom: client.CustomObjectsApi) -> None:
    created = custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z") and meta["generation"] == 1
    assert int(meta["resourceVersion"]) == int(longhorn.resource_version)
    with pytest.raises(ApiException) as dup:
        custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    assert dup.value.status == 409 and status_of(dup.value)["reason"] == "AlreadyExists"
    stale = {**backing_image("other"), "metadata": {"name": "other", "resourceVersion": "3"}}
    with pytest.raises(ApiException) as with_rv:
        custom.create_namespaced_custom_object(*LH, NS, "backingimages", stale)
    assert "resourceVersion should not be set" in status_of(with_rv.value)["message"]


def test_resource_version_is_global_and_monotonic(longhorn: KubeAPIServer, custom: client.CustomObjectsApi,
                                                  core: client.CoreV1Api) -> None:
    seen = [int(longhorn.resource_version)]
    for i in range(3):
        seen.append(int(custom.create_namespaced_custom_object(
            *LH, NS, "backingimages", backing_image(f"bi-{i}"))["metadata"]["resourceVersion"]))
        seen.append(int(core.create_namespace({"metadata": {"name": f"ns-{i}"}}).metadata.resource_version))
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    listed = custom.list_cluster_custom_object(*LH, "backingimages")
    assert int(listed["metadata"]["resourceVersion"]) == seen[-1]


def test_put_optimistic_concurrency(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    current = custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    current["spec"]["checksum"] = "abc"
    updated = custom.replace_namespaced_custom_object(*LH, NS, "backingimages", "img", current)
    assert updated["metadata"]["generation"] == 2
    with pytest.raises(ApiException) as stale:
        custom.replace_namespaced_custom_object(*LH, NS, "backingimages", "img", current)  # old rv
    assert stale.value.status == 409 and status_of(stale.value)["reason"] == "Conflict"
    assert "the object has been modified" in status_of(stale.value)["message"]
    del updated["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as unconditional:
        custom.replace_namespaced_custom_object(*LH, NS, "backingimages", "img", updated)
    assert unconditional.value.status == 422 and status_of(unconditional.value)["reason"] == "Invalid"


def test_labels_do_not_bump_generation_and_noop_updates_do_not_write(
        longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    created = custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    relabeled = custom.patch_namespaced_custom_object(*LH, NS, "backingimages", "img",
                                                      {"metadata": {"labels": {"a": "b"}}})
    assert relabeled["metadata"]["generation"] == 1
    assert int(relabeled["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    again = custom.replace_namespaced_custom_object(*LH, NS, "backingimages", "img", relabeled)
    assert again["metadata"]["resourceVersion"] == relabeled["metadata"]["resourceVersion"]


def test_merge_json_and_strategic_patches(longhorn: KubeAPIServer, custom: client.CustomObjectsApi,
                                          core: client.CoreV1Api) -> None:
    custom.create_namespaced_custom_object(*LH, NS, "backingimages",
                                           backing_image("img", sourceParameters={"url": "http://x"}))
    merged = custom.patch_namespaced_custom_object(
        *LH, NS, "backingimages", "img", {"spec": {"sourceParameters": None, "disks": {"disk-2": ""}}})
    assert "sourceParameters" not in merged["spec"]
    assert merged["spec"]["disks"] == {"disk-1": "", "disk-2": ""}
    patched = custom.patch_namespaced_custom_object(
        *LH, NS, "backingimages", "img",
        [{"op": "test", "path": "/spec/sourceType", "value": "download"},
         {"op": "replace", "path": "/spec/sourceType", "value": "upload"},
         {"op": "remove", "path": "/spec/disks/disk-1"}],
        _content_type="application/json-patch+json")
    assert patched["spec"]["sourceType"] == "upload" and patched["spec"]["disks"] == {"disk-2": ""}
    with pytest.raises(ApiException) as failed_test:
        custom.patch_namespaced_custom_object(
            *LH, NS, "backingimages", "img", [{"op": "test", "path": "/spec/sourceType", "value": "x"}],
            _content_type="application/json-patch+json")
    assert failed_test.value.status == 422
    core.create_namespaced_config_map(NS, {"metadata": {"name": "cm"}, "data": {"a": "1", "b": "2"}})
    cm = core.patch_namespaced_config_map("cm", NS, {"data": {"b": None, "c": "3"}})  # strategic merge
    assert cm.data == {"a": "1", "c": "3"}
    assert longhorn.requests(verb="patch", resource="configmaps")[0].body == {"data": {"b": None, "c": "3"}}


def test_status_subresource_isolation(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    created = custom.create_namespaced_custom_object(
        *LH, NS, "backingimages", {**backing_image("img"), "status": {"uuid": "ignored-on-create"}})
    assert "status" not in created
    with_status = custom.patch_namespaced_custom_object_status(
        *LH, NS, "backingimages", "img", {"status": {"uuid": "u-1"}, "spec": {"checksum": "ignored"}})
    assert with_status["status"] == {"uuid": "u-1"} and "checksum" not in with_status["spec"]
    assert with_status["metadata"]["generation"] == 1
    with_status["status"]["uuid"] = "changed-via-main-endpoint"
    with_status["spec"]["checksum"] = "kept"
    replaced = custom.replace_namespaced_custom_object(*LH, NS, "backingimages", "img", with_status)
    assert replaced["status"] == {"uuid": "u-1"} and replaced["spec"]["checksum"] == "kept"
    replaced["status"] = {"uuid": "u-2"}
    replaced["spec"]["checksum"] = "ignored-on-status"
    via_status = custom.replace_namespaced_custom_object_status(*LH, NS, "backingimages", "img", replaced)
    assert via_status["status"] == {"uuid": "u-2"} and via_status["spec"]["checksum"] == "kept"
    code, _, _ = raw(longhorn, "GET", f"/apis/longhorn.io/v1beta2/namespaces/{NS}/settings/x/status")
    assert code == 404  # settings.longhorn.io declares no status subresource


def test_delete_with_finalizers_only_marks_deletion(longhorn: KubeAPIServer,
                                                    custom: client.CustomObjectsApi) -> None:
    obj = backing_image("img")
    obj["metadata"]["finalizers"] = ["longhorn.io"]
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", obj)
    marked = custom.delete_namespaced_custom_object(*LH, NS, "backingimages", "img")
    assert marked["metadata"]["deletionTimestamp"]
    assert custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")["metadata"]["deletionTimestamp"]
    custom.patch_namespaced_custom_object(*LH, NS, "backingimages", "img", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as gone:
        custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")
    assert gone.value.status == 404
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("plain"))
    custom.delete_namespaced_custom_object(*LH, NS, "backingimages", "plain")
    assert custom.list_namespaced_custom_object(*LH, NS, "backingimages")["items"] == []


def test_generate_name_and_delete_collection(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    for tier in ("gold", "gold", "silver"):
        obj = backing_image("", labels={"tier": tier})
        obj["metadata"] = {"generateName": "img-", "labels": {"tier": tier}}
        created = custom.create_namespaced_custom_object(*LH, NS, "backingimages", obj)
        assert created["metadata"]["name"].startswith("img-") and len(created["metadata"]["name"]) == 9
    deleted = custom.delete_collection_namespaced_custom_object(*LH, NS, "backingimages", label_selector="tier=gold")
    assert len(deleted["items"]) == 2
    assert [o["metadata"]["labels"] for o in longhorn.list("lhbi")] == [{"tier": "silver"}]
    assert longhorn.requests(verb="deletecollection", resource="backingimages")[0].status == 200


def test_dry_run_writes_nothing(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    before = longhorn.resource_version
    result = custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"), dry_run="All")
    assert result["metadata"]["name"] == "img"
    assert longhorn.resource_version == before and longhorn.list("lhbi") == []
    assert longhorn.requests(verb="create") and longhorn.writes() == []


# ------------------------------------------------------------------ CRDs through the API


def test_crd_posted_through_the_api_is_served_and_deleting_it_removes_objects(
        api: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    crd = read_yaml_documents(LONGHORN_172 / "crd-backingimages.longhorn.io.yaml")[0]
    created = custom.create_cluster_custom_object("apiextensions.k8s.io", "v1", "customresourcedefinitions", crd)
    conditions = {c["type"]: c["status"] for c in created["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert created["status"]["acceptedNames"]["shortNames"] == ["lhbi"]
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    custom.delete_cluster_custom_object("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                                        "backingimages.longhorn.io")
    assert api.crds == []
    with pytest.raises(ApiException) as unserved:
        custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    assert unserved.value.status == 404
    bad = {**crd, "metadata": {"name": "wrong.longhorn.io"}}
    with pytest.raises(ApiException) as invalid:
        custom.create_cluster_custom_object("apiextensions.k8s.io", "v1", "customresourcedefinitions", bad)
    assert invalid.value.status == 422


# ------------------------------------------------------------------ pod logs


def test_pod_log_subresource(api: KubeAPIServer, core: client.CoreV1Api) -> None:
    api.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mgr", "namespace": NS},
                       "spec": {"containers": [{"name": "longhorn-manager"}]}}])
    old = datetime.now(UTC) - timedelta(hours=1)
    api.add_pod_log(NS, "mgr", ["old 1", "old 2"], at=old)
    api.add_pod_log(NS, "mgr", "new 1\nnew 2\nnew 3\n")
    api.add_pod_log(NS, "mgr", "crashed\n", previous=True)
    assert core.read_namespaced_pod_log("mgr", NS) == "old 1\nold 2\nnew 1\nnew 2\nnew 3\n"
    assert core.read_namespaced_pod_log("mgr", NS, tail_lines=2) == "new 2\nnew 3\n"
    assert core.read_namespaced_pod_log("mgr", NS, since_seconds=60, follow=False) == "new 1\nnew 2\nnew 3\n"
    assert core.read_namespaced_pod_log("mgr", NS, previous=True) == "crashed\n"
    stamped = core.read_namespaced_pod_log("mgr", NS, tail_lines=1, timestamps=True)
    assert stamped.endswith("Z new 3\n") and stamped[:4].isdigit()
    with pytest.raises(ApiException) as no_pod:
        core.read_namespaced_pod_log("ghost", NS)
    assert no_pod.value.status == 404
    assert [r.subresource for r in api.requests(verb="get", resource="pods")] == ["log"] * 6


def test_pod_log_needs_a_container_name_when_there_are_several(api: KubeAPIServer, core: client.CoreV1Api) -> None:
    api.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": NS},
                       "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}])
    api.add_pod_log(NS, "p", "from b", container="b")
    with pytest.raises(ApiException) as ambiguous:
        core.read_namespaced_pod_log("p", NS)
    assert ambiguous.value.status == 400 and "choose one of: [a b]" in status_of(ambiguous.value)["message"]
    assert core.read_namespaced_pod_log("p", NS, container="b") == "from b\n"
    with pytest.raises(ApiException) as no_previous:
        core.read_namespaced_pod_log("p", NS, container="b", previous=True)
    assert no_previous.value.status == 400


# ------------------------------------------------------------------ Python side


def test_request_log_classifies_verbs(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    longhorn.clear_requests()
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")
    custom.list_namespaced_custom_object(*LH, NS, "backingimages")
    custom.patch_namespaced_custom_object(*LH, NS, "backingimages", "img", {"spec": {"checksum": "c"}})
    custom.delete_namespaced_custom_object(*LH, NS, "backingimages", "img")
    assert [(r.method, r.verb, r.resource, r.status) for r in longhorn.requests()] == [
        ("POST", "create", "backingimages", 201), ("GET", "get", "backingimages", 200),
        ("GET", "list", "backingimages", 200), ("PATCH", "patch", "backingimages", 200),
        ("DELETE", "delete", "backingimages", 200)]
    assert [r.verb for r in longhorn.writes()] == ["create", "patch", "delete"]
    assert longhorn.requests(verb=("get", "list"), resource="backingimages", namespace=NS)[0].name == "img"
    longhorn.clear_requests()
    assert longhorn.requests() == []


def test_python_helpers_and_fixture_loading(longhorn: KubeAPIServer) -> None:
    fixture = {"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImageList", "items": [
        {"metadata": {"name": "img", "namespace": NS, "uid": "fixed-uid", "resourceVersion": "999",
                      "creationTimestamp": "2024-01-01T00:00:00Z"},
         "spec": {"disks": {"d": ""}, "imageURL": "pruned"}, "status": {"uuid": "kept"}}]}
    [stored] = longhorn.load_objects([fixture])
    assert stored["metadata"]["uid"] == "fixed-uid"
    assert stored["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"
    assert stored["metadata"]["resourceVersion"] != "999"
    assert stored["spec"] == {"disks": {"d": ""}} and stored["status"] == {"uuid": "kept"}
    assert longhorn.get("lhbi", "img", NS) == stored
    assert longhorn.get("backingimages.longhorn.io", "img", NS) == stored
    patched = longhorn.patch("lhbi", "img", {"status": {"uuid": "controller-set"}}, NS)
    assert patched["status"] == {"uuid": "controller-set"}
    assert [o["metadata"]["name"] for o in longhorn.list("lhbi")] == ["img"]
    longhorn.delete("lhbi", "img", NS)
    assert longhorn.list("lhbi") == []
    with pytest.raises(KeyError):
        longhorn.apply({"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "x"}})


def test_register_an_extra_builtin_kind(api: KubeAPIServer, api_client: client.ApiClient) -> None:
    api.register(ResourceType(group="apps", plural="deployments", kind="Deployment", namespaced=True,
                              versions=(Version("v1", subresources=frozenset({"status"})),),
                              storage_version="v1", singular="deployment", short_names=("deploy",)))
    api.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": NS},
               "spec": {"replicas": 1}})
    _, _, listed = raw(api, "GET", f"/apis/apps/v1/namespaces/{NS}/deployments")
    assert listed["kind"] == "DeploymentList" and [d["metadata"]["name"] for d in listed["items"]] == ["d"]
    assert api.get("deploy", "d", NS)["spec"] == {"replicas": 1}


def test_install_crds_from_multi_document_file(api: KubeAPIServer, tmp_path: Path) -> None:
    bundle = tmp_path / "crds.yaml"
    bundle.write_text("\n---\n".join(p.read_text() for p in sorted(LONGHORN_172.glob("*.yaml"))))
    installed = api.install_crds(bundle)
    assert len(installed) == 8 and len(api.crds) == 8
    assert api.registry.resolve("lhbi").version("v1beta2") is not None


def test_kubeconfig_works_for_a_fresh_client(api: KubeAPIServer, tmp_path: Path) -> None:
    path = api.write_kubeconfig(tmp_path / "kc", namespace="longhorn-system")
    text = path.read_text()
    assert api.url in text and "users:" in text
    with config.new_client_from_config(config_file=str(path)) as fresh:
        assert client.CoreV1Api(fresh).list_namespace().kind == "NamespaceList"
