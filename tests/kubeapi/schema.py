"""Structural-schema pruning and defaulting of custom resources.

This is the behaviour behind harvester#7958: a Longhorn v1.7 manager writing
``spec.diskFileSpecMap`` while the v1.6 CRD is still installed gets the field silently dropped.
The walk mirrors the API server's algorithm: unknown keys are removed wherever a schema node
lists ``properties`` (or ``additionalProperties``); ``x-kubernetes-preserve-unknown-fields``
keeps unknown keys at that node but nested ``properties`` are still pruned; ``apiVersion``,
``kind`` and ``metadata`` of the root and of ``x-kubernetes-embedded-resource`` nodes are never
pruned, metadata is reduced to ObjectMeta fields instead. Paths are reported the way the server
words them in warnings (``spec.disks.disk-1.foo``, ``spec.items[0].bar``), sorted.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Schema = Mapping[str, Any]

OBJECT_META_FIELDS = frozenset(
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
        "annotations", "ownerReferences", "finalizers", "managedFields",
    }
)
_TYPE_META = ("apiVersion", "kind", "metadata")
_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_EMBEDDED = "x-kubernetes-embedded-resource"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def coerce_object_meta(obj: Mapping[str, Any], path: str = "metadata") -> list[str]:
    """Drop non-ObjectMeta keys from ``obj['metadata']`` in place; return their paths."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return []
    unknown = [k for k in meta if k not in OBJECT_META_FIELDS]
    for key in unknown:
        del meta[key]
    return [_join(path, k) for k in unknown]


def prune(obj: dict[str, Any], schema: Schema) -> list[str]:
    """Prune a whole custom resource in place; return the sorted paths of dropped fields."""
    unknown: list[str] = []
    _prune(obj, {**schema, _EMBEDDED: True}, "", unknown)
    return sorted(unknown)


def _prune(value: Any, schema: Schema | None, path: str, unknown: list[str]) -> None:
    if schema is not None and schema.get(_PRESERVE):
        _descend_preserving(value, schema, path, unknown)
        return
    if isinstance(value, dict):
        if schema is None:
            unknown.extend(_join(path, k) for k in value)
            value.clear()
            return
        for key in list(value):
            if not _keep_type_meta(value, key, schema, path, unknown):
                _prune_key(value, key, schema, path, unknown)
    elif isinstance(value, list):
        items = schema.get("items") if schema is not None else None
        for i, item in enumerate(value):
            _prune(item, items, f"{path}[{i}]", unknown)


def _keep_type_meta(
    value: dict[str, Any], key: str, schema: Schema, path: str, unknown: list[str]
) -> bool:
    """Leave TypeMeta/ObjectMeta of embedded resources alone (metadata is coerced instead)."""
    if not schema.get(_EMBEDDED) or key not in _TYPE_META:
        return False
    if key == "metadata":
        unknown.extend(coerce_object_meta(value, _join(path, "metadata")))
    return True


def _prune_key(value: dict[str, Any], key: str, schema: Schema, path: str, unknown: list[str]) -> None:
    properties = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    if key in properties:
        _prune(value[key], properties[key], _join(path, key), unknown)
    elif isinstance(additional, Mapping):
        _prune(value[key], additional, _join(path, key), unknown)
    elif additional is not True:
        unknown.append(_join(path, key))
        del value[key]


def _descend_preserving(value: Any, schema: Schema, path: str, unknown: list[str]) -> None:
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key in list(value):
            if _keep_type_meta(value, key, schema, path, unknown):
                continue
            if key in properties:
                _prune(value[key], properties[key], _join(path, key), unknown)
            elif isinstance(additional, Mapping):
                _prune(value[key], additional, _join(path, key), unknown)
    elif isinstance(value, list):
        items = schema.get("items")
        if items is not None:
            for i, item in enumerate(value):
                _descend_preserving(item, items, f"{path}[{i}]", unknown)


def apply_defaults(value: Any, schema: Schema | None) -> None:
    """Apply ``default`` values in place, first dropping nulls the schema does not allow.

    Only objects that exist are defaulted (the server never creates a parent to hold a default).
    """
    if schema is None:
        return
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key in list(value):
            sub = properties.get(key, additional if isinstance(additional, Mapping) else None)
            if value[key] is None and sub is not None and not sub.get("nullable"):
                del value[key]
        for key, sub in properties.items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
        for key, item in value.items():
            sub = properties.get(key, additional if isinstance(additional, Mapping) else None)
            apply_defaults(item, sub)
    elif isinstance(value, list):
        for item in value:
            apply_defaults(item, schema.get("items"))
