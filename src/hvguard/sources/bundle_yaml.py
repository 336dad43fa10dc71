"""YAML decoding for support-bundle files: the C loader, the bundle's quirks undone, bombs refused.

support-bundle-kit writes objects through Go's yaml with two lossy rewrites: empty strings (and
JSON nulls) become the string ``"null"``, and integers are float64 so large ones appear as
``2.31131136e+08`` — or as ``1e+11``, which YAML 1.1 does not even read as a number. Undoing both at
construction time costs nothing extra and hands the checks API-shaped objects.

Kubernetes dumps never use anchors or aliases, so any alias is refused: that defeats
"billion laughs" documents before they expand.

Speed: libyaml parses and composes in C, but PyYAML then resolves every scalar's tag and constructs
every node in Python, through generic machinery (generators, per-node bookkeeping, merge-key
handling) that support-bundle files never need; on a large bundle that was well over half of the
reading time. ``load`` therefore resolves with a lookup table and builds plain strings, lists and
string-keyed maps directly, handing every other node (numbers, booleans, timestamps, merge keys,
odd tags) to PyYAML's own constructors. Any error on that path is answered by decoding again with
the plain ``BundleLoader``, so results and errors are exactly PyYAML's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from sys import intern
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_EXPONENT_NUMBER = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+$")
_NUMBER_START = frozenset("+-0123456789")  # what an exponent number can start with
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
# Whatever the fast path raises sends the document to the reference loader: YAML errors (bad input,
# aliases, merge keys), TypeError (a collection as a map key), RecursionError (very deep nesting).
_FAST_PATH_ERRORS = (yaml.YAMLError, TypeError, RecursionError)
_SLICE = 4 * 2**20  # bytes of list items composed at a time
_SHARED_LENGTH = 80  # strings up to this long are interned (see _build)
_ITEMS = b"\nitems:\n"
# The first line at column 0 that is not a "- " entry, an indented line or an empty line ends the items.
_ITEMS_END = re.compile(rb"\n(?!- | |\n)")


class AliasRefused(yaml.YAMLError):
    """A YAML alias: never produced by Kubernetes, the building block of YAML bombs."""


def _refuse(node: Node) -> AliasRefused:
    return AliasRefused(f"YAML alias at line {node.start_mark.line + 1}: refused (possible YAML bomb)")


class BundleLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined,unused-ignore]
    """PyYAML's safe C loader with the bundle constructors; the reference ``load`` must agree with."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A node constructed twice is one reached through an alias.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _refuse(node)
        return super().construct_object(node, deep)


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def _bundle_str(node: Any) -> Any:
    """A ``str``-tagged scalar with the bundle's quirks undone (see the module docstring)."""
    value: str = node.value
    if value == "null":
        return ""
    if not node.style and value[:1] in _NUMBER_START and _EXPONENT_NUMBER.match(value):  # plain scalars only
        return _number(float(value))
    return value


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return _bundle_str(node)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return _number(loader.construct_yaml_float(node))


BundleLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
BundleLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)

if BundleLoader.yaml_path_resolvers:  # the table below stands for the implicit resolvers alone
    raise ImportError("bundle_yaml assumes PyYAML's safe loader has no path resolvers")
_Resolvers = tuple[tuple[str, re.Pattern[str]], ...]
_WILDCARD: _Resolvers = tuple(BundleLoader.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT: dict[str, _Resolvers] = {first: tuple(resolvers) + _WILDCARD
                                    for first, resolvers in BundleLoader.yaml_implicit_resolvers.items()
                                    if first is not None}


class _FastLoader(BundleLoader):
    """``BundleLoader`` with a table-driven resolver and direct construction of the common nodes.

    ``track_aliases`` is False for documents without a ``&``: with no anchor there can be no alias,
    so the per-node bookkeeping that detects them is skipped.
    """

    track_aliases = True

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """``Resolver.resolve`` for a loader without path resolvers, minus its per-call overhead."""
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def construct_document(self, node: Node) -> Any:
        seen = self.constructed_objects if self.track_aliases else None
        try:
            return _build(node, seen, self.construct_object)
        finally:
            _forget(self)


def _forget(loader: Any) -> None:
    """The per-document bookkeeping reset ``BaseConstructor.construct_document`` ends with."""
    loader.constructed_objects, loader.recursive_objects, loader.deep_construct = {}, {}, False


class _AnchorFreeLoader(_FastLoader):
    track_aliases = False


def _build(node: Any, seen: dict[Node, Any] | None, construct: Callable[..., Any]) -> Any:
    """Construct ``node`` depth first; nodes other than str scalars, sequences and maps go to ``construct``.

    ``seen`` is the loader's ``constructed_objects`` (or None when aliases are impossible): every
    node is entered before its children, so meeting one again, from anywhere, is an alias (the
    stock ``construct_object`` checks the same dict).

    Short strings are interned: every key, and values such as names, states, node names, disk and
    volume ids and times, repeat across thousands of objects, and libyaml makes a new string for
    each occurrence. Sharing them halved the memory of the large benchmark bundle, at no cost in
    time. (``json.loads`` already shares the keys of one document.)
    """
    if seen is not None:
        if node in seen:
            raise _refuse(node)
        seen[node] = None
    kind, tag = node.__class__, node.tag
    if kind is ScalarNode and tag == _STR:
        data = _bundle_str(node)
        return intern(data) if data.__class__ is str and len(data) <= _SHARED_LENGTH else data
    if kind is SequenceNode and tag == _SEQ:
        return [_build(child, seen, construct) for child in node.value]
    if kind is MappingNode and tag == _MAP:
        # Merge (<<) and value (=) keys have no constructor of their own, and a collection as a key
        # is unhashable: both raise here, and the caller falls back to PyYAML's full handling.
        return {_build(key, seen, construct): _build(value, seen, construct) for key, value in node.value}
    if seen is not None:
        del seen[node]  # the stock constructor registers it itself
    return construct(node, deep=True)


def load(data: bytes | str) -> Any:
    """Decode one YAML document with the bundle rules. Raises ``yaml.YAMLError`` on bad input.

    A big ``List`` file (as yaml.v2 writes them) is composed a slice of items at a time, which
    bounds memory: libyaml's node tree is some twenty times the size of the text it comes from.
    """
    if isinstance(data, bytes) and len(data) > _SLICE:
        try:
            sliced = _load_list_in_slices(data)
        except _FAST_PATH_ERRORS:
            sliced = None  # the whole-document path has the last word, errors included
        if sliced is not None:
            return sliced
    return _load_whole(data)


def _load_whole(data: bytes | str) -> Any:
    """The fast path first; if it fails in any way (bad YAML, an alias, nesting too deep for
    recursion) the plain ``BundleLoader`` decodes the document again and has the last word."""
    anchors_possible = ("&" in data) if isinstance(data, str) else (b"&" in data)
    try:
        return yaml.load(data, Loader=_FastLoader if anchors_possible else _AnchorFreeLoader)  # noqa: S506 - safe
    except _FAST_PATH_ERRORS:
        return yaml.load(data, Loader=BundleLoader)  # noqa: S506 - a SafeLoader


def _load_list_in_slices(data: bytes) -> dict[str, Any] | None:
    """The document of a top-level ``items:`` block sequence, composed in slices; None if unsure.

    yaml.v2 writes ``items:`` at column 0 with one ``- `` line per item at column 0 and everything
    inside an item indented, so cutting the block before a ``- `` line cuts between items; the rest
    of the document (``apiVersion``, ``kind``, ``metadata``) is decoded with ``items: []`` in the
    block's place. Anything that could make the cuts mean something else is refused (None): a byte
    order mark, ``&`` (anchors), ``%`` directives, CR line ends, another ``items`` outside the block.
    A cut that lands inside a multi-line scalar or flow collection leaves a slice that does not
    parse, which raises, and the caller decodes the whole document instead.
    """
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"%")) or any(
        mark in data for mark in (b"&", b"\r", b"\n%")
    ):
        return None
    start = data.find(_ITEMS) + 1
    begin = start + len(_ITEMS) - 1
    if not start or not data.startswith(b"- ", begin):
        return None
    found = _ITEMS_END.search(data, begin - 1)
    end = found.start() + 1 if found else len(data)
    head, tail = data[:start], data[end:]
    if b"items" in head or b"items" in tail:
        return None
    document = _load_whole(head + b"items: []\n" + tail)
    if not isinstance(document, dict) or document.get("items") != []:
        return None
    items: list[Any] = []
    for piece in _slices(data, begin, end):
        part = yaml.load(piece, Loader=_AnchorFreeLoader)  # noqa: S506 - a SafeLoader
        if not isinstance(part, list):
            return None
        items.extend(part)
    document["items"] = items
    return document


def _slices(data: bytes, begin: int, end: int) -> Iterator[bytes]:
    """``data[begin:end]`` in pieces of about ``_SLICE`` bytes, each cut before a ``- `` line."""
    while begin < end:
        cut = data.find(b"\n- ", begin + _SLICE, end)
        cut = end if cut < 0 else cut + 1
        yield data[begin:cut]
        begin = cut
