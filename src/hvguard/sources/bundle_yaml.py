"""YAML decoding for support-bundle files: the C loader, the bundle's quirks undone, bombs refused.

support-bundle-kit writes objects through Go's yaml with two lossy rewrites: empty strings (and
JSON nulls) become the string ``"null"``, and integers are float64 so large ones appear as
``2.31131136e+08`` — or as ``1e+11``, which YAML 1.1 does not even read as a number. Undoing both at
construction time costs nothing extra and hands the checks API-shaped objects.

Kubernetes dumps never use anchors or aliases, so any alias is refused: that defeats
"billion laughs" documents before they expand.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_EXPONENT_NUMBER = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+$")


class AliasRefused(yaml.YAMLError):
    """A YAML alias: never produced by Kubernetes, the building block of YAML bombs."""


class BundleLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A node constructed twice is one reached through an alias.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise AliasRefused(f"YAML alias at line {node.start_mark.line + 1}: refused (possible YAML bomb)")
        return super().construct_object(node, deep)


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    value: str = node.value
    if value == "null":
        return ""
    if not node.style and _EXPONENT_NUMBER.match(value):  # plain (unquoted) scalars only
        return _number(float(value))
    return value


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return _number(loader.construct_yaml_float(node))


BundleLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
BundleLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load(data: bytes | str) -> Any:
    """Decode one YAML document with the bundle rules. Raises ``yaml.YAMLError`` on bad input."""
    return yaml.load(data, Loader=BundleLoader)  # noqa: S506 - BundleLoader is a SafeLoader
