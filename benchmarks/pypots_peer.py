"""PyPOTS's imputers as a peer of ``benchmarks/sequences.py``, run in PyPOTS's own environment.

PyPOTS pulls transformers, tensorboard and more, so it lives in its own venv (``make pypots-env``)
and this script runs there as a subprocess. It reads a masked frame (parquet), lays each
entity's rows, ordered in time, into fixed-length windows of the standardized measurement
columns (``n_samples x n_steps x n_features``), fills them and writes the filled columns back in
the input's row order. Observed cells are kept as they are.

* ``saits``: SAITS (Du et al. 2023) trained on the masked windows themselves (its own masked-
  imputation task; no ground truth), windows of ``--n-steps`` rows overlapping by half, each row
  the mean of the windows that hold it.
* ``lerp``: PyPOTS's linear interpolation (by row position, ends take the nearest value), one
  window per entity, so windows cut nothing.

Run (in the PyPOTS venv): ``python benchmarks/pypots_peer.py saits IN.parquet OUT.parquet
--order-by time --group-by name --columns lat long --seed 0``. Uses only numpy, pandas, torch
and pypots, not this project.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd


def windows(
    frame: pd.DataFrame,
    order_by: str,
    group_by: str | None,
    n_steps: int | None,
) -> tuple[np.ndarray, int]:
    """Each window's row positions in ``frame`` (-1 pads entities shorter than a window) and the
    window length. Windows overlap by half and the last one ends at the entity's last row;
    ``n_steps=None`` makes one window per entity, as long as the longest."""
    keys = [group_by] if group_by else []
    ordered = frame.sort_values([*keys, order_by], kind="stable")
    positions = frame.index.get_indexer(ordered.index)
    entities = (
        np.split(
            positions,
            np.flatnonzero(np.diff(ordered.groupby(keys, sort=False).ngroup().to_numpy())) + 1,
        )
        if keys
        else [positions]
    )
    length = n_steps or max(len(rows) for rows in entities)
    stride = max(length // 2, 1)
    slots = []
    for rows in entities:
        if len(rows) <= length:
            slots.append(np.pad(rows, (0, length - len(rows)), constant_values=-1))
            continue
        starts = list(range(0, len(rows) - length + 1, stride))
        if starts[-1] != len(rows) - length:
            starts.append(len(rows) - length)
        slots.extend(rows[start : start + length] for start in starts)
    return np.stack(slots), length


def fill(
    frame: pd.DataFrame,
    columns: list[str],
    order_by: str,
    group_by: str | None,
    method: str,
    seed: int,
    n_steps: int,
    epochs: int,
) -> pd.DataFrame:
    """``frame[columns]`` with every gap filled by ``method`` (``saits`` or ``lerp``)."""
    import torch
    from pypots.imputation import SAITS, Lerp
    from pypots.utils.random import set_random_seed

    torch.set_num_threads(1)
    set_random_seed(seed)
    values = frame[columns].to_numpy(dtype=float)
    mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    std[~(std > 0)] = 1.0
    scaled = np.vstack([(values - mean) / std, np.full((1, len(columns)), np.nan)])
    slots, length = windows(frame, order_by, group_by, n_steps if method == "saits" else None)
    data = {"X": scaled[slots]}  # -1 reads the all-NaN pad row
    if method == "saits":
        model = SAITS(
            n_steps=length,
            n_features=len(columns),
            n_layers=2,
            d_model=64,
            n_heads=4,
            d_k=16,
            d_v=16,
            d_ffn=128,
            dropout=0.1,
            attn_dropout=0.1,
            batch_size=32,
            epochs=epochs,
            device="cpu",
            verbose=False,
        )
        model.fit(data)
    else:
        model = Lerp()
    imputed = np.asarray(model.predict(data)["imputation"], dtype=float)
    total = np.zeros((len(frame) + 1, len(columns)))
    count = np.zeros(len(frame) + 1)
    np.add.at(total, slots.ravel(), imputed.reshape(-1, len(columns)))
    np.add.at(count, slots.ravel(), 1)
    estimate = total[:-1] / count[:-1, None] * std + mean
    return pd.DataFrame(np.where(np.isnan(values), estimate, values), columns=columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=["saits", "lerp"])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--order-by", required=True)
    parser.add_argument("--group-by", default=None)
    parser.add_argument("--columns", nargs="+", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-steps", type=int, default=24, help="SAITS window length (rows)")
    parser.add_argument("--epochs", type=int, default=100, help="SAITS training epochs")
    args = parser.parse_args()
    frame = pd.read_parquet(args.input).reset_index(drop=True)
    fill(
        frame,
        args.columns,
        args.order_by,
        args.group_by,
        args.method,
        args.seed,
        args.n_steps,
        args.epochs,
    ).to_parquet(args.output)


if __name__ == "__main__":
    main()
