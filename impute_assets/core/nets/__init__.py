"""The torch networks: per-column stacked MLPs, the shared masked network, the GRU, their training loops."""
