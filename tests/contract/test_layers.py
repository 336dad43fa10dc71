"""The layering the architecture promises, checked on the source: checks cannot drift between live
and offline runs because analysis never sees a source, a client or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "hvguard"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


# package → imports it must never make
FORBIDDEN = {
    "state": ("hvguard.analysis", "hvguard.sources", "hvguard.kube", "hvguard.cli", "hvguard.reports"),
    "knowledge": ("hvguard.analysis", "hvguard.sources", "hvguard.kube", "hvguard.cli", "hvguard.reports"),
    "analysis": ("hvguard.sources", "hvguard.kube", "hvguard.cli", "hvguard.reports", "hvguard.actions", "kubernetes",
                 "click", "rich"),
    "reports": ("hvguard.sources", "hvguard.kube", "hvguard.cli", "kubernetes", "click"),
    "sources": ("hvguard.cli", "hvguard.reports", "hvguard.analysis", "click", "rich"),
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    offending = {
        f"{path.relative_to(SRC)}: {name}"
        for path in _modules(package)
        for name in _imports(path)
        if name.startswith(FORBIDDEN[package])
    }
    assert not offending, sorted(offending)


def test_only_the_kube_package_imports_the_kubernetes_client() -> None:
    offending = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.parent.name != "kube" and any(n == "kubernetes" or n.startswith("kubernetes.") for n in _imports(path))
    }
    assert not offending, sorted(offending)


def test_only_the_writer_sends_writes() -> None:
    """Every request hvguard builds outside ``kube/writer.py`` is a literal GET."""
    methods = {}
    for path in (SRC / "kube").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "param_serialize":
                first = node.args[0] if node.args else None
                methods.setdefault(path.name, set()).add(first.value if isinstance(first, ast.Constant) else "<dynamic>")
    readers = {name: verbs for name, verbs in methods.items() if name != "writer.py"}
    assert readers and all(verbs == {"GET"} for verbs in readers.values()), methods
    assert methods["writer.py"] == {"<dynamic>"}
