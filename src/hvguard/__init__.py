"""hvguard: keep Harvester HCI upgrades from destroying VM images.

Layers (each may import only those to its right; ``tests/contract/test_layers.py`` checks it):
``cli`` → ``watch`` / ``actions`` / ``reports`` / ``logs`` / ``sources`` → ``analysis`` → ``knowledge`` / ``state``
→ ``errors``. Only ``kube`` talks to the API server, and only ``kube.writer`` writes.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
