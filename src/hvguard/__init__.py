"""hvguard: keep Harvester HCI upgrades from destroying VM images.

Layers (each may import only those to its right):
``cli`` → ``reports`` / ``sources`` / ``actions`` → ``analysis`` → ``knowledge`` / ``state`` → ``errors``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
