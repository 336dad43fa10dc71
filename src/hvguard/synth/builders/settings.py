"""Settings of both products, which share a kind name but not a shape.

Longhorn's ``settings.longhorn.io`` live in ``longhorn-system`` and hold only ``value`` (always
present). Harvester's ``settings.harvesterhci.io`` are cluster-scoped with ``value`` and ``default``
(both ``omitempty``) and a ``status``.
"""

from __future__ import annotations

from typing import Literal

from hvguard.synth.builders.longhorn import API_VERSION as LONGHORN_API
from hvguard.synth.builders.longhorn import LONGHORN_NS
from hvguard.synth.builders.meta import Obj, object_meta

Product = Literal["longhorn", "harvester"]


def setting(name: str, value: str, *, created: str, product: Product, default: str = "") -> Obj:
    if product == "longhorn":
        return {"apiVersion": LONGHORN_API, "kind": "Setting",
                "metadata": object_meta("longhorn.io/Setting", name, LONGHORN_NS, created=created), "value": value}
    obj: Obj = {"apiVersion": "harvesterhci.io/v1beta1", "kind": "Setting",
                "metadata": object_meta("harvesterhci.io/Setting", name, created=created)}
    if default:
        obj["default"] = default
    if value:
        obj["value"] = value
    obj["status"] = {}
    return obj
