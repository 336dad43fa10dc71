"""The one in-memory cluster state every source fills and every check reads."""
