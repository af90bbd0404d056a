"""The model store: per-column models with their reference profiles, on any fsspec filesystem,
and the train-or-reuse decision."""

from impute_assets.store.model_store import ModelStore
from impute_assets.store.reuse import ReuseDecision, ReusePolicy
from impute_assets.store.stored import StoredModel

__all__ = ["ModelStore", "ReuseDecision", "ReusePolicy", "StoredModel"]
