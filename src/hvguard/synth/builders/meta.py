"""``metadata`` and owner references, shared by every builder.

Keys are in ``ObjectMeta`` field order; that order reaches the bundle bytes only for built-in kinds
(see ``sbk.list_response``), but it costs nothing to keep it everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hvguard.synth import ids

Obj = dict[str, Any]


def object_meta(
    kind: str,
    name: str,
    namespace: str | None = None,
    *,
    created: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    owners: Sequence[Obj] = (),  # owner references
    finalizers: Sequence[str] = (),
    generation: int | None = None,
    generate_name: str | None = None,
    uid: str | None = None,
) -> Obj:
    """ObjectMeta as the server returns it; the UID and resourceVersion derive from the name."""
    meta: Obj = {"name": name}
    if generate_name:
        meta["generateName"] = generate_name
    if namespace:
        meta["namespace"] = namespace
    meta["uid"] = uid or ids.uid(kind, namespace or "", name)
    meta["resourceVersion"] = ids.resource_version(kind, namespace or "", name)
    if generation is not None:
        meta["generation"] = generation
    meta["creationTimestamp"] = created
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    if owners:
        meta["ownerReferences"] = list(owners)
    if finalizers:
        meta["finalizers"] = list(finalizers)
    return meta


def owner_reference(api_version: str, kind: str, name: str, uid: str) -> Obj:
    """A controller owner reference (for ``object_meta(owners=...)``)."""
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": True, "blockOwnerDeletion": True}


def owned_by(owner: Obj) -> Obj:
    """A controller owner reference to an object built by these builders."""
    meta = owner["metadata"]
    return owner_reference(owner["apiVersion"], owner["kind"], meta["name"], meta["uid"])


def name_of(obj: Obj) -> str:
    name: str = obj["metadata"]["name"]
    return name
