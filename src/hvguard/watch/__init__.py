"""``hvguard watch``: follow an upgrade live and raise the alarm the moment backing images start to vanish.

In harvester#7958 the damage happens minutes into the upgrade, silently, and is found hours later.
The first sign is visible in the API at once (a backing image's disk map emptied while its copies
are still ready), and at that moment the files are still on disk. This package turns WATCH streams
into a live state (``state``), the state's transitions into alerts (``alerts``, pure functions),
and alerts into a terminal view, JSON lines, webhooks and metrics (``outputs``, ``webhook``,
``metrics``); ``streams`` starts the watches and ``loop`` ties it together.
"""
