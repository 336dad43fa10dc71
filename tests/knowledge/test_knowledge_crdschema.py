"""Structural-schema pruning (hvguard.knowledge.crdschema), on the shipped Longhorn CRDs and on synthetic schemas."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hvguard.errors import KnowledgeError
from hvguard.knowledge import crdschema
from hvguard.knowledge.catalog import load_catalog

SHIPPED = ("v1.6.2", "v1.7.2", "v1.9.1", "v1.10.1")


def crd(longhorn: str, name: str) -> dict[str, Any]:
    shipped = load_catalog().longhorn_crds(longhorn)
    assert shipped is not None and shipped.exact
    return shipped.crds[f"{name}.longhorn.io"]


def test_v162_backingimage_crd_prunes_exactly_the_six_fields_v172_adds() -> None:
    assert crdschema.fields_pruned_by(crd("v1.6.2", "backingimages"), crd("v1.7.2", "backingimages")) == [
        "spec.diskFileSpecMap",
        "spec.diskSelector",
        "spec.minNumberOfCopies",
        "spec.nodeSelector",
        "spec.secret",
        "spec.secretNamespace",
    ]


@pytest.mark.parametrize(
    ("installed", "target", "name", "expected"),
    [
        (
            "v1.6.2",
            "v1.7.2",
            "volumes",
            [
                "spec.freezeFilesystemForSnapshot",
                "status.cloneStatus.attemptCount",
                "status.cloneStatus.nextAllowedAttemptAt",
            ],
        ),
        (
            "v1.6.2",
            "v1.7.2",
            "nodes",
            [
                "spec.disks.*.diskDriver",
                "status.diskStatus.*.diskDriver",
                "status.diskStatus.*.diskName",
                "status.diskStatus.*.diskPath",
                "status.diskStatus.*.instanceManagerName",
            ],
        ),
        ("v1.6.2", "v1.7.2", "replicas", []),
        ("v1.7.2", "v1.9.1", "replicas", ["spec.migrationEngineName", "status.ublkID", "status.uuid"]),
        (
            "v1.7.2",
            "v1.9.1",
            "backingimages",
            [
                "spec.dataEngine",
                "spec.diskFileSpecMap.*.dataEngine",
                "status.diskFileStatusMap.*.dataEngine",
                "status.realSize",
                "status.v2FirstCopyDisk",
                "status.v2FirstCopyStatus",
            ],
        ),
        (
            "v1.9.1",
            "v1.10.1",
            "volumes",
            ["spec.backupBlockSize", "spec.cloneMode", "spec.replicaRebuildingBandwidthLimit"],
        ),
        ("v1.9.1", "v1.10.1", "replicas", ["status.starting"]),
        ("v1.9.1", "v1.10.1", "backingimages", []),
    ],
)
def test_other_crd_pairs_report_their_differences(installed: str, target: str, name: str, expected: list[str]) -> None:
    assert crdschema.fields_pruned_by(crd(installed, name), crd(target, name)) == expected


def shipped_crds() -> list[tuple[str, str]]:
    catalog = load_catalog()
    return [(v, name) for v in SHIPPED for name in sorted(catalog.longhorn_crds(v).crds)]  # type: ignore[union-attr]


@pytest.mark.parametrize(("longhorn", "name"), shipped_crds())
def test_a_crd_prunes_nothing_it_declares_itself(longhorn: str, name: str) -> None:
    definition = load_catalog().longhorn_crds(longhorn).crds[name]  # type: ignore[union-attr]
    assert crdschema.fields_pruned_by(definition, definition) == []


def test_crd_level_preserve_unknown_fields_disables_pruning() -> None:
    installed = copy.deepcopy(crd("v1.6.2", "backingimages"))
    installed["spec"]["preserveUnknownFields"] = True
    assert crdschema.fields_pruned_by(installed, crd("v1.7.2", "backingimages")) == []


def test_a_version_the_crd_does_not_serve_is_an_error() -> None:
    with pytest.raises(KnowledgeError, match="no version v1beta1"):
        crdschema.version_schema(crd("v1.10.1", "volumes"), "v1beta1")


def realistic_backing_image() -> dict[str, Any]:
    """A BackingImage as the v1.7.x manager writes it after a correct v16xto170 migration."""
    return {
        "apiVersion": "longhorn.io/v1beta2",
        "kind": "BackingImage",
        "metadata": {
            "name": "vmi-3b5ec1a2",
            "namespace": "longhorn-system",
            "annotations": {"harvesterhci.io/imageId": "default/image-kzndn"},
        },
        "spec": {
            "checksum": "",
            "disks": {},
            "diskFileSpecMap": {"4e1a5f1c-91b4-4b5e-9a34-4c1d9fb8a1d2": {"evictionRequested": False}},
            "minNumberOfCopies": 3,
            "sourceType": "download",
            "sourceParameters": {"url": "https://example.invalid/focal.img"},
        },
        "status": {
            "ownerID": "node1",
            "uuid": "0d8b8e9f",
            "size": 2361393152,
            "virtualSize": 2361393152,
            "checksum": "f3c0ffee",
            "diskFileStatusMap": {
                "4e1a5f1c-91b4-4b5e-9a34-4c1d9fb8a1d2": {
                    "state": "ready",
                    "progress": 100,
                    "message": "",
                    "lastStateTransitionTime": "2025-03-27T02:25:36Z",
                }
            },
            "diskLastRefAtMap": {},
        },
    }


def test_v162_schema_prunes_the_migrated_fields_of_a_real_backing_image() -> None:
    schema = crdschema.version_schema(crd("v1.6.2", "backingimages"), "v1beta2")
    assert crdschema.pruned_paths(schema, realistic_backing_image()) == [
        "spec.diskFileSpecMap",
        "spec.minNumberOfCopies",
    ]


def test_v172_schema_keeps_the_same_backing_image_whole() -> None:
    schema = crdschema.version_schema(crd("v1.7.2", "backingimages"), "v1beta2")
    assert crdschema.pruned_paths(schema, realistic_backing_image()) == []


SYNTHETIC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "spec": {
            "type": "object",
            "properties": {
                "loose": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"strict": {"type": "object", "properties": {"a": {"type": "string"}}}},
                },
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "disks": {
                    "type": "object",
                    "additionalProperties": {"type": "object", "properties": {"path": {"type": "string"}}},
                },
                "anything": {"type": "object", "additionalProperties": True},
                "list": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "looseList": {
                    "type": "array",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
                "embedded": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object"}},
                },
            },
        },
    },
}


def test_synthetic_schema_follows_the_apiserver_rules() -> None:
    obj = {
        "apiVersion": "x/v1",
        "kind": "X",
        "metadata": {"name": "x", "anything": 1},
        "spec": {
            "loose": {"extra": {"deep": 1}, "strict": {"a": "kept", "b": "pruned"}},
            "labels": {"k1": "v1", "k2": "v2"},
            "disks": {"d1": {"path": "/data", "uuid": "pruned"}},
            "anything": {"key": {"nested": "pruned"}, "scalar": 1},
            "list": [{"name": "kept", "extra": "pruned"}, {"name": "kept"}],
            "looseList": [{"name": "kept", "extra": "kept"}],
            "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}, "junk": 1},
            "unknown": {"whole": "subtree"},
        },
        "status": {"not": "declared"},
    }
    assert crdschema.pruned_paths(SYNTHETIC, obj) == [
        "spec.anything.key.nested",
        "spec.disks.d1.uuid",
        "spec.embedded.junk",
        "spec.list[0].extra",
        "spec.loose.strict.b",
        "spec.unknown",
        "status",
    ]


def test_schema_fields_name_map_keys_and_list_elements() -> None:
    fields = crdschema.schema_fields(SYNTHETIC)
    assert {
        "spec.disks.*",
        "spec.disks.*.path",
        "spec.labels.*",
        "spec.list[*]",
        "spec.list[*].name",
        "spec.loose.strict.a",
    } <= fields
    assert "spec.anything.*" not in fields
    real = crdschema.schema_fields(crdschema.version_schema(crd("v1.7.2", "backingimages"), "v1beta2"))
    assert {
        "spec.diskFileSpecMap.*.evictionRequested",
        "spec.diskSelector[*]",
        "status.diskFileStatusMap.*.state",
    } <= real


def test_pruned_fields_answers_for_named_fields_only() -> None:
    old = crd("v1.6.2", "backingimages")
    assert crdschema.pruned_fields(
        old, ["spec.disks.*", "spec.diskFileSpecMap.*.evictionRequested", "spec.nodeSelector[*]"]
    ) == [
        "spec.diskFileSpecMap",
        "spec.nodeSelector",
    ]
    assert crdschema.pruned_fields(crd("v1.7.2", "backingimages"), ["spec.diskFileSpecMap.*.dataEngine"]) == [
        "spec.diskFileSpecMap.*.dataEngine"
    ]
