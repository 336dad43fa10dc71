"""``hvguard watch``: follow an upgrade live and raise the alarm the moment backing images start to vanish.

In harvester#7958 the damage happens minutes into the upgrade, silently, and is found hours later.
The first sign is the longhorn-manager's warning that the API server pruned a BackingImage field;
then it is visible in the API (a backing image's disk map emptied while its copies are still
ready), and at that moment the files are still on disk. This package turns WATCH streams into a
live state (``state``), the state's transitions and the matching log lines (``podlogs`` follows the
manager logs) into alerts (``alerts``, pure functions), and alerts into a terminal view, JSON lines,
webhooks and metrics (``outputs``, ``webhook``, ``metrics``); ``streams`` starts the watches and the
log followers, and ``loop`` ties it together.
"""
