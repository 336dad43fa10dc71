"""The decoding shortcuts taken for speed give exactly what the plain loaders give: the bundle's fast
YAML path and its sliced List path against ``BundleLoader``, errors included, and the knowledge's C
loader against ``yaml.safe_load``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from hvguard.sources import bundle_yaml

DEMO_BUNDLE = Path(bundle_yaml.__file__).parents[1] / "demo" / "demo-bundle.zip"


def _outcome(decode: Any, data: bytes | str) -> tuple[str, Any]:
    """What decoding gives: ("ok", data) or ("error", exception type and message)."""
    try:
        return "ok", decode(data)
    except yaml.YAMLError as exc:
        return "error", (type(exc).__name__, str(exc))


def _reference(data: bytes | str) -> Any:
    return yaml.load(data, Loader=bundle_yaml.BundleLoader)  # noqa: S506 - a SafeLoader


def _yaml_members(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as archive:
        return [archive.read(n) for n in archive.namelist() if n.endswith(".yaml")]


@pytest.fixture
def tiny_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slice every List file, and into many pieces (the real threshold is megabytes)."""
    monkeypatch.setattr(bundle_yaml, "_SLICE", 64)


@pytest.mark.usefixtures("tiny_slices")
def test_bundle_files_decode_as_the_reference_loader_decodes_them(small_bundle: Path) -> None:
    members = _yaml_members(small_bundle) + _yaml_members(DEMO_BUNDLE)
    assert members
    for data in members:
        assert _outcome(bundle_yaml.load, data) == _outcome(_reference, data)


EDGE_CASES = [
    "a: 1\nb: &x {c: 2}\nd: *x\n",  # aliases are refused, whichever path meets them
    "a: &a x\nb: *a\n",
    "base: &b {x: 1}\nm:\n  <<: *b\n",
    "m:\n  <<: {x: 1}\n  y: 2\n",  # merge keys, value keys: PyYAML's own handling
    "m:\n  =: 5\n",
    "? [a, b]\n: 1\n",  # unhashable keys
    "? {a: 1}\n: 1\n",
    "t: 2024-01-01T00:00:00Z\nq: '2024-01-01'\nn: null\ns: 'null'\ne: 1e+11\nf: 2.5e+08\ng: \"1e+11\"\n"
    "i: 0o17\nj: 0x1F\nk: 1_000\nb: yes\nsx: 1:30\nemp: ''\nz: ~\nneg: -1e+03\n",
    "!!set {a, b}\n",
    "- !!binary aGVsbG8=\n- !!omap [a: 1]\n",
    "a: !!str 5\nb: !!int '7'\nc: !!python/name:os.system\n",
    "[" * 2000 + "]" * 2000,
    "a: [1, 2\n",
    "a: 1\n---\nb: 2\n",
    "",
]
LISTS = [
    "apiVersion: v1\nitems:\n- a: 1\n- b: \"null\"\n- c: [1, 2]\nkind: List\nmetadata:\n  resourceVersion: \"5\"\n",
    "apiVersion: v1\nitems:\n- a: \"x\n- y\"\n- b: 2\nkind: List\n",  # a cut inside a quoted scalar
    "apiVersion: v1\nitems:\n- a: 1\n...\n- b: 2\nkind: List\n",  # a document end among the items
    "apiVersion: v1\nitems:\n- a: 1\n- b: 2\nitems: []\nkind: List\n",  # a second items key
    "apiVersion: v1\nitems:\n- a: &x 1\n- b: *x\nkind: List\n",
    "apiVersion: v1\r\nitems:\r\n- a: 1\r\n- b: 2\r\nkind: List\r\n",
    "\ufeffapiVersion: v1\nitems:\n- a: 1\n- b: 2\nkind: List\n",
    "apiVersion: v1\nitems:\n- a: 1\n# a comment\n- b: 2\nkind: List\n",
    "apiVersion: v1\nitems:\n- |\n  text\n\n  more\n- b: 2\nkind: List\n",
    "- a: 1\nitems:\n- b: 2\n",
    "apiVersion: v1\nitems:\n- a: 1\n- b: 2\n",
]


@pytest.mark.usefixtures("tiny_slices")
@pytest.mark.parametrize("text", EDGE_CASES + LISTS)
def test_odd_documents_decode_and_fail_as_with_the_reference_loader(text: str) -> None:
    for data in (text, text.encode()):
        assert _outcome(bundle_yaml.load, data) == _outcome(_reference, data)


def test_big_lists_are_decoded_in_slices(tiny_slices: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pieces: list[bytes] = []
    original = bundle_yaml._slices

    def spy(*args: Any) -> Iterator[bytes]:
        for piece in original(*args):
            pieces.append(piece)
            yield piece

    monkeypatch.setattr(bundle_yaml, "_slices", spy)
    items = "".join(f"- name: item-{i}\n  spec:\n    size: 1e+11\n    note: \"null\"\n" for i in range(40))
    data = f"apiVersion: v1\nitems:\n{items}kind: List\nmetadata:\n  resourceVersion: \"9\"\n".encode()
    assert bundle_yaml.load(data) == _reference(data)
    assert len(pieces) > 5 and all(piece.startswith(b"- name: ") for piece in pieces)


def test_short_strings_are_shared() -> None:
    first, second = bundle_yaml.load("- state: running\n- state: running\n")
    assert first["state"] is second["state"]


def _knowledge_texts() -> list[str]:
    root = resources.files("hvguard.knowledge")
    files = [f for f in root.joinpath("data").iterdir() if f.name.endswith(".yaml")]
    files += [f for release in root.joinpath("crds").iterdir() for f in release.iterdir() if f.name.endswith(".yaml")]
    return [f.read_text("utf-8") for f in files]


def test_the_knowledge_reads_the_same_with_the_c_loader() -> None:
    texts = _knowledge_texts()
    assert len(texts) > 5
    for text in texts:
        assert list(yaml.load_all(io.StringIO(text), yaml.CSafeLoader)) == list(yaml.safe_load_all(text))  # noqa: S506
