"""CRD manifests shipped in ``hvguard/knowledge/crds/<release>/`` (verbatim upstream copies).

A synthetic cluster installs the real CRDs of the releases it models, so its objects can be checked
against the exact schemas (and pruning) the API server would apply.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml


@functools.cache
def _release(release: str) -> dict[str, dict[str, Any]]:
    folder = resources.files("hvguard.knowledge").joinpath("crds", release)
    manifests: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("crd-") and entry.name.endswith(".yaml"):
            for document in yaml.safe_load_all(entry.read_text("utf-8")):
                if document:
                    manifests[document["metadata"]["name"]] = document
    if not manifests:
        raise FileNotFoundError(f"no CRD manifests in hvguard/knowledge/crds/{release}")
    return manifests


def manifests(release: str) -> dict[str, dict[str, Any]]:
    """The CRD manifests of one release folder (``longhorn-v1.6.2``), by CRD name.

    The cached documents are shared: callers must copy before changing them (``builders.crd`` does).
    """
    return dict(_release(release))
