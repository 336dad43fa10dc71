"""What the Kubernetes API server would prune under a CRD's structural schema.

Pure functions over plain dicts (a CRD as read from a cluster, a bundle or ``knowledge/crds``);
imports only ``hvguard.errors``. Used by the checks and predictions that ask "would the upgrade's
migration write survive the CRD that is live right now?" (harvester#7958).

The walk mirrors the apiserver's pruning algorithm
(``k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning/algorithm.go``, ``prune``/``skipPrune``):

* at an object node, a key is kept if ``properties`` declares it, or if the node has
  ``additionalProperties`` (the value is then pruned under that schema); otherwise it is dropped;
* ``x-kubernetes-preserve-unknown-fields: true`` keeps undeclared keys but still prunes inside the
  declared ones, and list elements below it are treated the same way;
* a boolean ``additionalProperties`` keeps the keys but gives their values no schema, so objects
  inside them lose every key (what the Go code does with a nil ``Structural``);
* array elements are pruned under ``items``; scalars are never pruned;
* ``apiVersion``, ``kind`` and ``metadata`` are skipped at the root and under
  ``x-kubernetes-embedded-resource`` (metadata has its own, separate pruning).

A pruned key is reported once, at the topmost path, because everything under it goes with it.
Paths are dotted, with ``[i]`` for list indexes (as the apiserver's "unknown field" warnings are).
Declared-field paths use ``*`` for a map key and ``[*]`` for a list element.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from hvguard.errors import KnowledgeError

Schema = Mapping[str, Any]
Segment = str | int

_META_FIELDS = frozenset({"apiVersion", "kind", "metadata"})
_MAP_KEY = "*"


def pruned_paths(schema: Schema, obj: Any) -> list[str]:
    """Dotted paths the API server would drop from ``obj`` under this ``openAPIV3Schema``."""
    return sorted(_format(path) for path in _prune(obj, schema, (), embedded=True))


def schema_fields(schema: Schema) -> set[str]:
    """Every field path the schema declares (map keys as ``*``, list elements as ``[*]``)."""
    return {_format(path, index="[*]") for path in _declared(schema, ())}


def pruned_fields(crd: Mapping[str, Any], fields: Iterable[str], version: str = "v1beta2") -> list[str]:
    """Which of these field paths (``schema_fields`` notation) the CRD would prune, topmost only.

    ``spec.preserveUnknownFields: true`` on the CRD (a legacy v1beta1-era switch) turns pruning off.
    """
    if crd.get("spec", {}).get("preserveUnknownFields") is True:
        return []
    sample = _sample(_parse(field) for field in fields)
    return sorted(
        _format(path, index="[*]") for path in _prune(sample, version_schema(crd, version), (), embedded=True)
    )


def fields_pruned_by(
    installed_crd: Mapping[str, Any], target_crd: Mapping[str, Any], version: str = "v1beta2"
) -> list[str]:
    """Fields the target CRD declares that the installed CRD would prune, topmost path only.

    This is the question behind harvester#7958: a migration written against ``target_crd`` sends
    these fields, and while ``installed_crd`` is live the API server silently drops them.
    """
    return pruned_fields(installed_crd, schema_fields(version_schema(target_crd, version)), version)


def version_schema(crd: Mapping[str, Any], version: str) -> Schema:
    """The ``openAPIV3Schema`` of one served version of a CRD."""
    name = crd.get("metadata", {}).get("name", "<unnamed CRD>")
    for entry in crd.get("spec", {}).get("versions", ()):
        if entry.get("name") == version:
            try:
                schema: Schema = entry["schema"]["openAPIV3Schema"]
            except KeyError:
                raise KnowledgeError(f"CRD {name} version {version} has no openAPIV3Schema") from None
            return schema
    raise KnowledgeError(f"CRD {name} has no version {version}")


def _prune(
    value: Any, schema: Schema | None, path: tuple[Segment, ...], *, embedded: bool = False, preserve: bool = False
) -> Iterator[tuple[Segment, ...]]:
    """Yield the topmost pruned paths below ``path``; ``schema`` None means "no schema at all".

    ``preserve`` carries ``x-kubernetes-preserve-unknown-fields`` into list elements, as the
    apiserver's ``skipPrune`` does; a preserving node without a schema keeps everything.
    """
    preserve = preserve or (schema is not None and schema.get("x-kubernetes-preserve-unknown-fields") is True)
    if preserve and schema is None:
        return
    if isinstance(value, Mapping):
        skip_meta = embedded or (schema is not None and schema.get("x-kubernetes-embedded-resource") is True)
        for key, child in value.items():
            if skip_meta and key in _META_FIELDS:
                continue
            found, child_schema = _child_schema(schema, key)
            if found:
                yield from _prune(child, child_schema, (*path, key))
            elif not preserve:
                yield (*path, key)
    elif isinstance(value, list):
        items = None if schema is None else schema.get("items")
        for index, child in enumerate(value):
            yield from _prune(child, items, (*path, index), preserve=preserve)


def _child_schema(schema: Schema | None, key: str) -> tuple[bool, Schema | None]:
    """Whether ``key`` is allowed under ``schema``, and the schema its value is pruned with."""
    if schema is None:
        return False, None
    properties = schema.get("properties") or {}
    if key in properties:
        return True, properties[key]
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return True, extra
    return extra is not None, None


def _declared(schema: Schema, path: tuple[Segment, ...]) -> Iterator[tuple[Segment, ...]]:
    for key, child in (schema.get("properties") or {}).items():
        yield (*path, key)
        yield from _declared(child, (*path, key))
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        yield (*path, _MAP_KEY)
        yield from _declared(extra, (*path, _MAP_KEY))
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield (*path, 0)
        yield from _declared(items, (*path, 0))


def _parse(field: str) -> tuple[Segment, ...]:
    """``spec.disks[*].path`` -> ("spec", "disks", 0, "path")."""
    segments: list[Segment] = []
    for part in field.split("."):
        name, _, rest = part.partition("[")
        segments.append(name)
        segments.extend(0 for _ in range(rest.count("*]")))
    return tuple(segments)


def _sample(paths: Iterable[tuple[Segment, ...]]) -> dict[str, Any]:
    """An object holding every path once (a list holds one element); leaves are None."""
    root: dict[str, Any] = {}
    for path in paths:
        _insert(root, path)
    return root


def _insert(node: Any, path: tuple[Segment, ...]) -> None:
    head, rest = path[0], path[1:]
    empty: Any = None if not rest else [] if isinstance(rest[0], int) else {}
    if isinstance(head, int):
        if not node:
            node.append(empty)
        elif node[0] is None:
            node[0] = empty
        child = node[0]
    else:
        if node.get(head) is None:
            node[head] = empty
        child = node[head]
    if rest:
        _insert(child, rest)


def _format(path: tuple[Segment, ...], index: str | None = None) -> str:
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += index or f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text
