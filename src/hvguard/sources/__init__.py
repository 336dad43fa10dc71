"""Sources turn a place (support bundle, live API, snapshot) into one ClusterState."""
