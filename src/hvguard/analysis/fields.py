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


def name(obj: Mapping[str, Any]) -> str:
    return str(dig(obj, "metadata", "name", default=""))


def namespace(obj: Mapping[str, Any]) -> str:
    return str(dig(obj, "metadata", "namespace", default="") or "")


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


def condition_true(obj: Mapping[str, Any], ctype: str) -> bool:
    return str(conditions(obj).get(ctype, {}).get("status", "")).lower() == "true"
