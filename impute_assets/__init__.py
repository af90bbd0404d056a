"""impute_assets."""
