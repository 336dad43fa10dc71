"""Check modules, one per domain noun. Importing this package registers every check."""

from hvguard.analysis.checks import backing_images, cluster, upgrade, vm_images, volumes

__all__ = ["backing_images", "cluster", "upgrade", "vm_images", "volumes"]
