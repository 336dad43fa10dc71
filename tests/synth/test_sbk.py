"""support-bundle-kit's rewrite of list responses (``toObjCommon``), reproduced on JSON text."""

from __future__ import annotations

from typing import Any

from hvguard.synth import goyaml, sbk
from hvguard.synth.resources import RESOURCES

BACKING_IMAGES = RESOURCES[("longhorn.io/v1beta2", "BackingImage")]
PVCS = RESOURCES[("v1", "PersistentVolumeClaim")]


def _item(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage", "metadata": {"name": "bi"}, **fields}


def _rewrite(*items: dict[str, Any], resource: Any = BACKING_IMAGES) -> dict[str, Any]:
    result = sbk.rewrite(sbk.list_response(items, resource, "1000"), resource)
    assert result is not None
    return result


def test_empty_strings_become_the_string_null() -> None:
    item = _rewrite(_item(spec={"checksum": "", "disks": {"3a5c": ""}}))["items"][0]
    assert item["spec"] == {"checksum": "null", "disks": {"3a5c": "null"}}


def test_a_json_null_becomes_null_text_unless_it_is_the_last_field_of_its_object() -> None:
    status = _rewrite(_item(status={"diskLastRefAtMap": None, "ownerID": "n1", "workloadsStatus": None}))["items"][0]["status"]
    assert status == {"diskLastRefAtMap": "null", "ownerID": "n1", "workloadsStatus": None}


def test_nulls_inside_json_strings_and_escaped_quote_endings_are_rewritten_too() -> None:
    annotations = {"a": '{"x":null,"y":1}', "b": 'v:"longhorn.io"'}
    item = _rewrite(_item(metadata={"name": "bi", "annotations": annotations}))["items"][0]
    assert item["metadata"]["annotations"] == {"a": '{"x":"null","y":1}', "b": 'v:"longhorn.io"null'}


def test_numbers_become_floats_and_big_ones_are_written_in_exponent_form() -> None:
    result = _rewrite(_item(status={"progress": 100, "size": 231131136, "reserved": 100_000_000_000}))
    assert all(isinstance(v, float) for v in result["items"][0]["status"].values())
    text = goyaml.dump(result)
    assert "progress: 100\n" in text and "size: 2.31131136e+08\n" in text and "reserved: 1e+11\n" in text


def test_list_envelope_is_rewritten_and_custom_resources_carry_continue() -> None:
    result = _rewrite(_item())
    assert (result["apiVersion"], result["kind"]) == ("v1", "List")
    assert result["metadata"] == {"continue": "null", "resourceVersion": "1000"}
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c", "namespace": "default"}}
    assert _rewrite(claim, resource=PVCS)["metadata"] == {"resourceVersion": "1000"}


def test_empty_lists_are_dropped() -> None:
    assert sbk.rewrite(sbk.list_response([], BACKING_IMAGES, "7"), BACKING_IMAGES) is None
