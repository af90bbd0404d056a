"""The real-table sweep's gaps and its check of what is sacred, on a table of R's shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def r_table(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "rownames": np.arange(1, n + 1),
            "dose": rng.normal(5, 1, size=n),
            "group": rng.choice(["a", "b"], size=n),
            "treated": rng.random(n) > 0.5,
        }
    )


def test_gaps_go_in_every_column_or_only_where_a_table_has_none(benchmark_module) -> None:
    sweep = benchmark_module("real_tables")
    every = sweep.with_gaps(r_table(), every=True, rng=np.random.default_rng(1))
    assert "rownames" not in every.columns and every.isna().any().all()
    assert every["treated"].dtype == object  # booleans can hold a gap
    some = sweep.with_gaps(r_table(), every=False, rng=np.random.default_rng(1))
    assert some.isna().any().sum() == 3
    gappy = r_table().assign(dose=lambda f: f["dose"].where(f.index > 3))
    natural = sweep.with_gaps(gappy, every=False, rng=np.random.default_rng(1))
    assert natural.isna().sum().to_dict() == {"dose": 4, "group": 0, "treated": 0}


def test_the_check_names_a_changed_observed_cell_and_passes_numbers_read_back(
    benchmark_module,
) -> None:
    sweep = benchmark_module("real_tables")
    before = sweep.with_gaps(r_table(), every=True, rng=np.random.default_rng(2))
    filled = before.fillna({"dose": 5.0, "group": "a", "treated": True})
    sweep.observed_kept(before, filled)
    sweep.observed_kept(before, filled.assign(dose=filled["dose"].astype(object)))
    changed = filled.copy()
    changed.loc[before["group"].notna().idxmax(), "group"] = "z"
    with pytest.raises(AssertionError, match="'group' changed"):
        sweep.observed_kept(before, changed)
    with pytest.raises(AssertionError, match="shape"):
        sweep.observed_kept(before, filled.iloc[1:])


def test_the_imputer_face_fills_a_table_and_keeps_it(benchmark_module, tmp_path) -> None:
    sweep = benchmark_module("real_tables")
    frame = sweep.with_gaps(r_table(), every=True, rng=np.random.default_rng(3))
    detail = sweep.imputer_face(frame, str(tmp_path), np.random.default_rng(0))
    missing = int(frame.isna().sum().sum())
    assert detail.endswith(f"all filled {missing} of {missing}")


def test_the_sequence_face_orders_by_a_time_and_groups_by_labels(benchmark_module, tmp_path):
    sweep = benchmark_module("real_tables")
    panel = r_table(90).assign(
        year=np.tile(np.arange(1990, 2020), 3), firm=np.repeat(["f1", "f2", "f3"], 30)
    )
    assert sweep.sequence_keys(panel) == ("year", "firm")
    assert sweep.sequence_keys(panel.drop(columns=["year"])) is None
    dated = panel.assign(when=pd.date_range("2024-01-01", periods=90, freq="D"))
    assert sweep.sequence_keys(dated)[0] == "when"  # a datetime column first
    frame = sweep.with_gaps(panel, every=True, rng=np.random.default_rng(4))
    frame["year"] = panel["year"]
    assert sweep.sequence_keys(frame.astype({"firm": object})) == ("year", "firm")  # gaps: None
    detail = sweep.sequence_face(frame, str(tmp_path), np.random.default_rng(0))
    assert detail.startswith("order_by 'year', group_by 'firm': filled ")
    assert "not run" in sweep.sequence_face(frame.drop(columns=["year"]), str(tmp_path), None)


def test_a_face_records_a_refused_name_apart_from_an_error(benchmark_module, tmp_path) -> None:
    sweep = benchmark_module("real_tables")
    twins = r_table().drop(columns=["rownames"]).assign(Group=lambda f: f["group"])
    twins.loc[:5, "dose"] = np.nan
    status, detail = sweep.run_face("warehouse", twins, str(tmp_path), np.random.default_rng(0))
    assert status == "refused" and "'group' and 'Group'" in detail
    status, detail = sweep.run_face(
        "imputer", r_table().iloc[:0], str(tmp_path), np.random.default_rng(0)
    )
    assert status == "error" and detail.startswith("ValueError") and "real_tables" not in detail
