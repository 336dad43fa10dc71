"""Actions: plans that change a cluster (protect, recover), and the one executor that applies them.

Planning is pure (state in, Plan out) and always printed first. Applying needs --apply, goes only
through ``hvguard.kube.writer``, re-reads each object before and after changing it, skips what is
already done, journals every step, and stops at the first surprise.
"""
