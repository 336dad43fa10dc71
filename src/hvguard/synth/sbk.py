"""The lossy rewrite support-bundle-kit applies to every API list before writing it.

``collectors/common.go`` ``toObjCommon`` (rancher/support-bundle-kit) takes the raw JSON body of a
LIST, edits the *text* with two regular expressions and one plain replacement, parses it with
``gabs`` (so every number becomes a ``float64``) and writes the result with yaml.v2. Reproducing it
on the same JSON text gives the same oddities a real bundle has:

* ``"key":null,`` becomes ``"key":"null",`` (only for all-letter keys, only when a comma follows:
  a null that is the *last* field of its object survives as a real null);
* the same for JSON nested inside a string (``\\"key\\":null,``);
* every ``""`` becomes ``"null"`` - empty strings, empty map keys, and also the tail of any string
  ending in an escaped quote (``"v:\\"longhorn.io\\""`` turns into ``v:"longhorn.io"null``);
* a list with no items is dropped (no file), as the collector has done since 2023-09.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hvguard.synth.resources import Resource

_NULL_FIELD = re.compile(r'("[a-zA-Z]+":)(null,)')
_ESCAPED_NULL_FIELD = re.compile(r'(\\"[a-zA-Z]+\\":)(null,)')


def list_response(items: Sequence[Mapping[str, Any]], resource: Resource, resource_version: str) -> str:
    """The JSON body the API server returns for a LIST of ``items``.

    Custom resources come back as unstructured maps, which Go encodes with sorted keys and with
    ``continue: ""`` in the list metadata; built-in types keep their struct field order (the
    builders write keys in that order) and have no ``continue``.
    """
    metadata = {"resourceVersion": resource_version} if resource.builtin else {"continue": "", "resourceVersion": resource_version}
    body = {"apiVersion": resource.api_version, "items": list(items), "kind": f"{resource.kind}List", "metadata": metadata}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=not resource.builtin)


def rewrite(response: str, resource: Resource) -> dict[str, Any] | None:
    """``toObjCommon``: the object support-bundle-kit hands to yaml.v2, or None for an empty list."""
    text = _NULL_FIELD.sub(r'\1"null",', response)
    text = _ESCAPED_NULL_FIELD.sub(r'\1\\"null\\",', text)
    text = text.replace('""', '"null"')
    parsed: dict[str, Any] = json.loads(text, parse_int=float)
    parsed["kind"] = "List"
    parsed["apiVersion"] = "v1"
    if not parsed.get("items"):
        return None
    for item in parsed["items"]:
        item["apiVersion"] = resource.api_version
        item["kind"] = resource.kind
    return parsed
