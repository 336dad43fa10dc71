"""Reports: one report document (``model.build``), rendered by one module per format."""
