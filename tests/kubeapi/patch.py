"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902), the two PATCH bodies clients send.

Strategic merge patch is served as a merge patch: it differs only in how lists of
objects with merge keys are combined, which hvguard does not rely on.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import APIError


def merge_patch(target: Any, patch: Any) -> Any:
    """Return a patched deep copy of ``target``; ``None`` values delete keys, lists are replaced."""
    return _merge(copy.deepcopy(target), patch)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge(target.get(key), value)
    return target


def _invalid(message: str) -> APIError:
    return APIError(422, f"the server rejected our request due to an error in our request: {message}")


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise _invalid(f"invalid JSON pointer {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, adding: bool) -> int:
    if adding and token == "-":
        return len(container)
    if not token.isdigit():
        raise _invalid(f"invalid array index {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not adding):
        raise _invalid(f"array index {index} out of range")
    return index


def _parent(doc: Any, tokens: list[str], op: str) -> tuple[Any, str]:
    if not tokens:
        raise _invalid(f"{op} on the document root is not supported")
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, adding=False)]
        else:
            raise _invalid(f"{op}: path component {token!r} does not exist")
    return node, tokens[-1]


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, adding=False)]
        else:
            raise _invalid(f"path {pointer!r} does not exist")
    return node


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, last = _parent(doc, _tokens(pointer), "add")
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, adding=True), value)
    else:
        raise _invalid(f"add: cannot add to {pointer!r}")


def _remove(doc: Any, pointer: str) -> Any:
    parent, last = _parent(doc, _tokens(pointer), "remove")
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, adding=False))
    raise _invalid(f"remove: path {pointer!r} does not exist")


def json_patch(target: Any, operations: Any) -> Any:
    """Return a patched deep copy of ``target``; a failing operation (incl. ``test``) is a 422."""
    if not isinstance(operations, list):
        raise APIError(400, "json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise _invalid(f"malformed json patch operation {op!r}")
        kind, path = op["op"], op["path"]
        if kind == "add":
            _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _remove(doc, path)
            _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "move":
            _add(doc, path, _remove(doc, op["from"]))
        elif kind == "copy":
            _add(doc, path, copy.deepcopy(_get(doc, op["from"])))
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise _invalid(f"testing value at {path!r} failed")
        else:
            raise _invalid(f"unexpected json patch operation {kind!r}")
    return doc
