"""Structural-schema pruning: the algorithm, and the harvester#7958 proof with the real Longhorn CRDs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubeapi import APIError, KubeAPIServer, read_yaml_documents
from kubeapi.helpers import LH, LONGHORN_162, LONGHORN_172, NS, backing_image, raw
from kubeapi.schema import apply_defaults, prune

CRD_PLURAL = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")
BI_CRD = "backingimages.longhorn.io"
NEW_SPEC: dict[str, Any] = {"diskFileSpecMap": {"disk-1": {"evictionRequested": False}}, "minNumberOfCopies": 2}


def crd_file(directory: Any) -> dict[str, Any]:
    return read_yaml_documents(directory / f"crd-{BI_CRD}.yaml")[0]


def warnings_of(headers: Any) -> list[str]:
    return list(headers.getlist("Warning"))


# ------------------------------------------------------------------ the algorithm


def test_prune_drops_unknown_fields_and_reports_dotted_paths() -> None:
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "disks": {"type": "object", "additionalProperties": {
                "type": "object", "properties": {"path": {"type": "string"}}}},
            "items": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                     "properties": {"typed": {"type": "object", "properties": {"k": {"type": "string"}}}}},
            "opaque": {"type": "object"},
        }},
    }}
    obj = {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n", "bogus": 1}, "extra": 1, "spec": {
        "disks": {"d1": {"path": "/p", "junk": 1}},
        "items": [{"a": "1", "b": "2"}],
        "free": {"anything": {"deep": 1}, "typed": {"k": "v", "drop": 1}},
        "opaque": {"gone": 1},
        "unknown": True,
    }}
    assert prune(obj, schema) == [
        "extra", "metadata.bogus", "spec.disks.d1.junk", "spec.free.typed.drop", "spec.items[0].b",
        "spec.opaque.gone", "spec.unknown"]
    assert obj == {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n"}, "spec": {
        "disks": {"d1": {"path": "/p"}}, "items": [{"a": "1"}],
        "free": {"anything": {"deep": 1}, "typed": {"k": "v"}}, "opaque": {}}}


def test_embedded_resources_keep_type_meta_and_coerce_metadata() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                     "properties": {"spec": {"type": "object", "properties": {"x": {"type": "string"}}}}}}}}}
    obj = {"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"a": "b"}, "nope": 1},
                                 "spec": {"x": "1", "y": "2"}}}}
    assert prune(obj, schema) == ["spec.template.metadata.nope", "spec.template.spec.y"]
    assert obj["spec"]["template"] == {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"a": "b"}},
                                       "spec": {"x": "1"}}


def test_defaults_apply_to_existing_objects_and_non_nullable_nulls_are_dropped() -> None:
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "retry": {"type": "integer", "default": 3},
            "note": {"type": "string"},
            "maybe": {"type": "string", "nullable": True},
            "nested": {"type": "object", "properties": {"on": {"type": "boolean", "default": True}}}}}}}
    obj: dict[str, Any] = {"spec": {"note": None, "maybe": None}}
    apply_defaults(obj, schema)
    assert obj == {"spec": {"retry": 3, "maybe": None}}


# ------------------------------------------------------------------ harvester#7958 with the real CRDs


def _update_with_new_fields(api: KubeAPIServer, custom: client.CustomObjectsApi,
                            **params: Any) -> tuple[dict[str, Any], list[str]]:
    current = custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")
    current["spec"].update(copy.deepcopy(NEW_SPEC))
    data, status, headers = custom.replace_namespaced_custom_object_with_http_info(
        *LH, NS, "backingimages", "img", current, **params)
    assert status == 200
    return data, warnings_of(headers)


def test_v162_crd_prunes_the_v17_fields_with_warnings(longhorn: KubeAPIServer,
                                                      custom: client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    response, warnings = _update_with_new_fields(longhorn, custom)
    assert warnings == ['299 - "unknown field \\"spec.diskFileSpecMap\\""',
                        '299 - "unknown field \\"spec.minNumberOfCopies\\""']
    stored = custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")
    for obj in (response, stored, longhorn.get("lhbi", "img", NS)):
        assert "diskFileSpecMap" not in obj["spec"] and "minNumberOfCopies" not in obj["spec"]
        assert obj["spec"]["disks"] == {"disk-1": ""}


def test_v172_crd_keeps_the_fields(api: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    api.install_crds(LONGHORN_172)
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    response, warnings = _update_with_new_fields(api, custom)
    assert warnings == []
    stored = custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")
    for obj in (response, stored):
        assert obj["spec"]["diskFileSpecMap"] == NEW_SPEC["diskFileSpecMap"]
        assert obj["spec"]["minNumberOfCopies"] == 2


def test_strict_field_validation_rejects_and_stores_nothing(longhorn: KubeAPIServer,
                                                            custom: client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    before = longhorn.get("lhbi", "img", NS)
    with pytest.raises(ApiException) as rejected:
        _update_with_new_fields(longhorn, custom, field_validation="Strict")
    body = json.loads(rejected.value.body)
    assert rejected.value.status == 400 and body["reason"] == "BadRequest"
    assert body["message"] == (
        'BackingImage in version "v1beta2" cannot be handled as a BackingImage: strict decoding error: '
        'unknown field "spec.diskFileSpecMap", unknown field "spec.minNumberOfCopies"')
    assert longhorn.get("lhbi", "img", NS) == before
    with pytest.raises(ApiException) as on_create:
        custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("new", **NEW_SPEC),
                                               field_validation="Strict")
    assert "strict decoding error: unknown field" in json.loads(on_create.value.body)["message"]


def test_ignore_field_validation_prunes_silently(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    response, warnings = _update_with_new_fields(longhorn, custom, field_validation="Ignore")
    assert warnings == [] and "diskFileSpecMap" not in response["spec"]


def test_patch_is_pruned_too(longhorn: KubeAPIServer, custom: client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    data, _, headers = custom.patch_namespaced_custom_object_with_http_info(
        *LH, NS, "backingimages", "img", {"spec": NEW_SPEC})
    assert "diskFileSpecMap" not in data["spec"]
    assert len(warnings_of(headers)) == 2


def test_replacing_the_crd_through_the_api_switches_pruning(longhorn: KubeAPIServer,
                                                            custom: client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    installed = custom.get_cluster_custom_object(*CRD_PLURAL, BI_CRD)
    upgraded = {**crd_file(LONGHORN_172), "metadata": {**crd_file(LONGHORN_172)["metadata"],
                                                       "resourceVersion": installed["metadata"]["resourceVersion"]}}
    replaced = custom.replace_cluster_custom_object(*CRD_PLURAL, BI_CRD, upgraded)
    assert replaced["metadata"]["labels"]["app.kubernetes.io/version"] == "v1.7.2"
    response, warnings = _update_with_new_fields(longhorn, custom)
    assert warnings == [] and response["spec"]["minNumberOfCopies"] == 2
    assert longhorn.requests(verb="update", resource="customresourcedefinitions")[0].status == 200


def test_patching_the_crd_switches_pruning_both_ways(longhorn: KubeAPIServer,
                                                     custom: client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img"))
    to_172 = {"spec": {"versions": crd_file(LONGHORN_172)["spec"]["versions"]}}
    custom.patch_cluster_custom_object(*CRD_PLURAL, BI_CRD, to_172)
    _update_with_new_fields(longhorn, custom)
    assert longhorn.get("lhbi", "img", NS)["spec"]["minNumberOfCopies"] == 2
    # Back to the v1.6.2 schema: reads are pruned (the storage decoder prunes), etcd still has the data ...
    to_162 = {"spec": {"versions": crd_file(LONGHORN_162)["spec"]["versions"]}}
    custom.patch_cluster_custom_object(*CRD_PLURAL, BI_CRD, to_162)
    assert "minNumberOfCopies" not in custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")["spec"]
    # ... so widening the schema again makes the stored fields reappear, as on a real cluster.
    custom.patch_cluster_custom_object(*CRD_PLURAL, BI_CRD, to_172)
    assert custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")["spec"]["minNumberOfCopies"] == 2


def test_a_write_under_the_narrow_schema_persists_the_pruned_object(longhorn: KubeAPIServer,
                                                                    custom: client.CustomObjectsApi) -> None:
    to_172 = {"spec": {"versions": crd_file(LONGHORN_172)["spec"]["versions"]}}
    to_162 = {"spec": {"versions": crd_file(LONGHORN_162)["spec"]["versions"]}}
    custom.patch_cluster_custom_object(*CRD_PLURAL, BI_CRD, to_172)
    custom.create_namespaced_custom_object(*LH, NS, "backingimages", backing_image("img", **NEW_SPEC))
    custom.patch_cluster_custom_object(*CRD_PLURAL, BI_CRD, to_162)
    custom.patch_namespaced_custom_object_status(*LH, NS, "backingimages", "img", {"status": {"uuid": "u"}})
    custom.patch_cluster_custom_object(*CRD_PLURAL, BI_CRD, to_172)
    stored = custom.get_namespaced_custom_object(*LH, NS, "backingimages", "img")
    assert "minNumberOfCopies" not in stored["spec"] and stored["status"] == {"uuid": "u"}


def test_writes_through_v1beta1_are_pruned_by_the_storage_version(longhorn: KubeAPIServer,
                                                                  custom: client.CustomObjectsApi) -> None:
    legacy = {**backing_image("img", **NEW_SPEC), "apiVersion": "longhorn.io/v1beta1"}
    created, _, headers = custom.create_namespaced_custom_object_with_http_info(
        "longhorn.io", "v1beta1", NS, "backingimages", legacy)
    assert warnings_of(headers) == []  # v1beta1's spec preserves unknown fields ...
    assert created["apiVersion"] == "longhorn.io/v1beta1"
    assert "minNumberOfCopies" not in created["spec"]  # ... but the v1beta2 storage schema prunes them


def test_load_objects_strict_catches_fixture_drift(longhorn: KubeAPIServer) -> None:
    with pytest.raises(APIError) as drift:
        longhorn.load_objects([backing_image("img", **NEW_SPEC)], field_validation="Strict")
    assert drift.value.code == 400 and 'unknown field "spec.diskFileSpecMap"' in drift.value.message
    assert longhorn.list("lhbi") == []


def test_status_and_metadata_are_pruned_with_their_own_rules(longhorn: KubeAPIServer) -> None:
    code, headers, body = raw(longhorn, "POST", f"/apis/longhorn.io/v1beta2/namespaces/{NS}/backingimages",
                              {**backing_image("img"), "metadata": {"name": "img", "unknownMeta": 1}})
    assert code == 201 and body["metadata"]["name"] == "img" and "unknownMeta" not in body["metadata"]
    assert headers["Warning"] == '299 - "unknown field \\"metadata.unknownMeta\\""'
    code, _, body = raw(longhorn, "PATCH", f"/apis/longhorn.io/v1beta2/namespaces/{NS}/backingimages/img/status",
                        {"status": {"uuid": "u", "diskFileStatusMap": {"d": {"state": "ready", "x": 1}}}},
                        headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and body["status"]["diskFileStatusMap"] == {"d": {"state": "ready"}}
