"""Component definitions of the demo (one folder per component, each with a defs.yaml)."""
