"""The imputation engine: pandas + torch only (no warehouse, GE or Dagster)."""
