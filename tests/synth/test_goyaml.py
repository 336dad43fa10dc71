"""Go yaml.v2 emulation: number formatting, key order, quoting, and real support-bundle-kit output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hvguard.synth import goyaml

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "bundle-v1.0-sample"


def _body(path: Path) -> str:
    """A sample file without the provenance lines the fixture copy added on top."""
    return "".join(line for line in path.read_text().splitlines(keepends=True) if not line.startswith("#"))


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"), (100.0, "100"), (123456.0, "123456"), (1e6, "1e+06"), (231131136.0, "2.31131136e+08"),
    (1e11, "1e+11"), (394085056512.0, "3.94085056512e+11"), (1.498674085376e12, "1.498674085376e+12"),
    (0.5, "0.5"), (0.0001, "0.0001"), (0.00001, "1e-05"), (-42.0, "-42"), (-2.5e7, "-2.5e+07"),
])
def test_floats_are_formatted_like_strconv_g(value: float, text: str) -> None:
    assert goyaml.format_float(value) == text


def test_map_keys_are_sorted_like_yaml_v2() -> None:
    keys = ["metadata", "b10", "kind", "a01", "b9", "items", "apiVersion", "a1", "a", "A", "_x"]
    dumped = goyaml.dump({key: 1 for key in keys})
    assert [line.split(":")[0] for line in dumped.splitlines()] == [
        "_x", "A", "a", "a1", "a01", "apiVersion", "b9", "b10", "items", "kind", "metadata"]


@pytest.mark.parametrize(("value", "text"), [
    ("", '""'), ("null", '"null"'), ("True", '"True"'), ("yes", '"yes"'), ("off", '"off"'), ("~", '"~"'),
    ("123", '"123"'), ("0x1F", '"0x1F"'), ("1_000", '"1_000"'), ("2.5", '"2.5"'), (".5", '".5"'),
    ("1e+11", '"1e+11"'), ("2025-03-24T09:30:12Z", '"2025-03-24T09:30:12Z"'), ("2024-10-14", '"2024-10-14"'),
    ("12:30", '"12:30"'), ("52:54:00:12:34:56", '"52:54:00:12:34:56"'),
    ("52:54:00:df:9c:17", "52:54:00:df:9c:17"), ("1234e567", "1234e567"), ("v1.3.2", "v1.3.2"),
    ("1.2.3", "1.2.3"), ("harvester-node-0", "harvester-node-0"), ("a: b", "'a: b'"), ("<<", "<<"),
    ("line1\nline2", "|-\n  line1\n  line2"), ("ends\n", "|\n  ends"),
])
def test_strings_are_quoted_only_where_yaml_v2_would_misread_them(value: str, text: str) -> None:
    assert goyaml.dump({"k": value}) == f"k: {text}\n"


def test_struct_order_is_kept_when_asked() -> None:
    assert goyaml.dump({"b": "first", "a": "second"}, sort_maps=False) == "b: first\na: second\n"


@pytest.mark.parametrize("path", [SAMPLE / "metadata.yaml", *sorted((SAMPLE / "yamls").rglob("*.yaml"))],
                         ids=lambda p: str(p.relative_to(SAMPLE)))
def test_real_support_bundle_files_are_reproduced_byte_for_byte(path: Path) -> None:
    """Everything a real (v1.0-era) bundle wrote through yaml.v2 comes out identical."""
    body = _body(path)
    data = yaml.safe_load(body)
    sort_maps = path.name != "metadata.yaml"  # a Go struct: field order, not sorted
    assert goyaml.dump(data, sort_maps=sort_maps) == body
    assert goyaml.dump(data, sort_maps=sort_maps, dumper=goyaml.PYTHON_DUMPER) == body


class _GoNumberLoader(yaml.SafeLoader):
    """Reads yaml.v2's exponent floats without a dot (``1e+11``) back as numbers, as Go does."""


_GoNumberLoader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$"),
                                      list("-+0123456789"))


def test_c_and_python_emitters_agree_on_the_demo_bundle(bundle: dict[str, bytes]) -> None:
    for path, content in bundle.items():
        if path.endswith(".yaml"):
            text = content.decode()
            data = yaml.load(text, Loader=_GoNumberLoader)  # noqa: S506 - a SafeLoader subclass
            assert goyaml.dump(data, sort_maps=path != "metadata.yaml", dumper=goyaml.PYTHON_DUMPER) == text, path
