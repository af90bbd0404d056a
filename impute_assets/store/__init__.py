"""The model store: per-column models with their reference profiles, on any fsspec filesystem,
and the train-or-reuse decision."""

from impute_assets.store.model_store import ModelStore, StoredModel
from impute_assets.store.reuse import ReuseDecision, ReusePolicy

__all__ = ["ModelStore", "ReuseDecision", "ReusePolicy", "StoredModel"]
