"""The faster ways the graph and checks read objects give exactly what the plain ways gave: one condition
looked up instead of the whole map, orjson instead of json for VM claim templates (strict JSON, as
Harvester writes it), VM running states computed on first use."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from support import state_from

from hvguard.analysis import graph as g
from hvguard.analysis.fields import condition, condition_true, conditions, name, namespace, qualified
from hvguard.state import kinds as k
from hvguard.synth.demo import demo_cluster

Obj = dict[str, Any]

_CONDITIONS: list[Any] = [
    None,
    "junk",
    [],
    [{"type": "Ready", "status": "True"}],
    [{"type": "Ready", "status": "False"}, {"type": "Ready", "status": "True", "reason": "last wins"}],
    [{"type": "Ready", "status": "True"}, "junk", {"type": "", "status": "True"}, {"status": "True"}],
    [{"type": 1, "status": "True"}, {"type": True, "status": "true"}],
    {"Ready": {"status": "True"}, "WaitForBackingImage": {"status": "False", "reason": "x"}},
    {"Ready": "junk", 1: {"status": "True"}, "1": {"status": "False"}},
    {"": {"status": "True"}},
]


@pytest.mark.parametrize("raw", _CONDITIONS)
@pytest.mark.parametrize("ctype", ["Ready", "WaitForBackingImage", "1", "True", ""])
def test_one_condition_is_the_one_the_map_holds(raw: Any, ctype: str) -> None:
    obj = {"status": {"conditions": raw}}
    assert condition(obj, ctype) == conditions(obj).get(ctype)
    assert condition_true(obj, ctype) == (str(conditions(obj).get(ctype, {}).get("status", "")).lower() == "true")


def test_condition_is_a_copy() -> None:
    obj = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    found = condition(obj, "Ready")
    assert found is not None and found is not obj["status"]["conditions"][0]


@pytest.mark.parametrize("obj", [
    {"metadata": {"name": "a", "namespace": "ns"}},
    {"metadata": {"name": "a"}},
    {"metadata": {"name": None, "namespace": None}},
    {"metadata": None},
    {"metadata": "junk"},
    {},
])
def test_identity_fields_on_odd_metadata(obj: Obj) -> None:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    assert name(obj) == str(meta.get("name", ""))
    assert namespace(obj) == str(meta.get("namespace", "") or "")
    assert qualified(obj) == (f"{namespace(obj)}/{name(obj)}" if namespace(obj) else name(obj))


def _reference_template_ids(raw: Any) -> list[str]:
    """The reading before orjson: json.loads, anything unparsable gives no id."""
    try:
        templates = json.loads(raw) if raw else []
    except (TypeError, ValueError):
        return []
    ids = []
    for template in templates if isinstance(templates, list) else []:
        annotations = template.get("metadata", {}).get("annotations", {}) if isinstance(template, dict) else {}
        image_id = annotations.get(g.IMAGE_ID_ANNOTATION) if isinstance(annotations, dict) else None
        if image_id:
            ids.append(str(image_id))
    return ids


def _template(image_id: str) -> str:
    return json.dumps([{"metadata": {"annotations": {g.IMAGE_ID_ANNOTATION: "@"}}}]).replace('"@"', image_id)


@pytest.mark.parametrize("raw", [
    "",
    None,
    5,
    "not json",
    '{"a": 1}',
    "[1, null, \"x\"]",
    _template('"default/img"'),
    _template("1.5"),
    _template('""'),
    _template("0"),
])
def test_template_image_ids_read_as_json_reads_them(raw: Any) -> None:
    vm = {"metadata": {"annotations": {g.VOLUME_CLAIM_TEMPLATES: raw}}}
    assert g._vm_template_image_ids(vm) == _reference_template_ids(raw)


@pytest.fixture(scope="module")
def demo_objects() -> list[Obj]:
    cluster = demo_cluster()
    return cluster.objects + cluster.crds


def test_vm_running_is_computed_when_asked_and_matches_each_vm(demo_objects: list[Obj]) -> None:
    objects = copy.deepcopy(demo_objects)
    state = state_from(objects)
    graph = g.build(state)
    expected = {qualified(vm): g._vm_running(vm, state) for vm in state.objects(k.VMS)}
    assert graph.vm_running == expected
    assert graph.vm_running is graph.vm_running  # computed once
    assert any(expected.values()) and not all(expected.values())
