"""Small, total accessors for API objects (plain dicts): never raise on a missing or odd field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hvguard.analysis.findings import ObjectRef


def dig(obj: Any, *path: str, default: Any = None) -> Any:
    """``obj[path[0]][path[1]]...`` or ``default`` when any step is missing or not a mapping."""
    for key in path:
        # Decoded objects are plain dicts: testing for one first skips the slow ABC check (hot path).
        if (type(obj) is not dict and not isinstance(obj, Mapping)) or key not in obj:
            return default
        obj = obj[key]
    return obj


def mapping(obj: Any, *path: str) -> dict[str, Any]:
    """A mapping field, ``{}`` when absent, null or of the wrong type."""
    value = dig(obj, *path)
    return dict(value) if isinstance(value, Mapping) else {}


def _metadata_field(obj: Mapping[str, Any], key: str) -> Any:
    """``dig(obj, "metadata", key, default="")``, with a fast path for plain dicts: the graph calls it per object."""
    meta = obj.get("metadata") if type(obj) is dict else dig(obj, "metadata")
    return meta.get(key, "") if type(meta) is dict else dig(meta, key, default="")


def name(obj: Mapping[str, Any]) -> str:
    return str(_metadata_field(obj, "name"))


def namespace(obj: Mapping[str, Any]) -> str:
    return str(_metadata_field(obj, "namespace") or "")


def qualified(obj: Mapping[str, Any]) -> str:
    """``namespace/name`` (or ``name`` for cluster-scoped objects)."""
    ns = namespace(obj)
    return f"{ns}/{name(obj)}" if ns else name(obj)


def ref(obj: Mapping[str, Any]) -> ObjectRef:
    return ObjectRef(str(obj.get("kind", "")), name(obj), namespace(obj), str(obj.get("apiVersion", "")))


def as_int(value: Any) -> int | None:
    """An integer field; tolerates floats and numeric strings (bundles write ``1e+11``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == number and abs(number) < 2**63 else None


def conditions(obj: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Status conditions by type. Longhorn v1beta1 stores them as a map, everything else as a list."""
    raw = dig(obj, "status", "conditions")
    if isinstance(raw, Mapping):
        return {str(t): dict(c) for t, c in raw.items() if isinstance(c, Mapping)}
    if isinstance(raw, list):
        return {str(c.get("type")): dict(c) for c in raw if isinstance(c, Mapping) and c.get("type")}
    return {}


def condition(obj: Mapping[str, Any], ctype: str) -> dict[str, Any] | None:
    """``conditions(obj).get(ctype)`` without building the whole map (checks ask for one type per object)."""
    raw = dig(obj, "status", "conditions")
    # Searched from the end: as in conditions(), the last entry of a type wins.
    if isinstance(raw, list):
        for cond in reversed(raw):
            if isinstance(cond, Mapping) and cond.get("type") and str(cond.get("type")) == ctype:
                return dict(cond)
    elif isinstance(raw, Mapping):
        for ctype_key, cond in reversed(list(raw.items())):
            if isinstance(cond, Mapping) and str(ctype_key) == ctype:
                return dict(cond)
    return None


def condition_true(obj: Mapping[str, Any], ctype: str) -> bool:
    return str((condition(obj, ctype) or {}).get("status", "")).lower() == "true"
