import os, warnings, tempfile, uuid as _uuid
import numpy as np, pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st
from tests.core.test_properties import frames
from impute_assets.warehouse import Warehouse
from impute_assets.store import ModelStore
from impute_assets.pipeline.run import TableRun
from impute_assets.pipeline.spec import TableSpec

URL = os.environ.get("FZ_URL")

@settings(max_examples=int(os.environ.get("N", "60")), deadline=None, suppress_health_check=list(HealthCheck))
@given(frames(), st.sampled_from(["all", "confident"]))
def test_pipeline_keeps_observed(frame, fill):
    frame = frame.drop(columns=[c for c in ("objects",) if c in frame])
    if frame.empty or frame.shape[1] == 0:
        return
    frame = frame.reset_index(drop=True)
    frame.insert(0, "id", np.arange(len(frame)))
    name = "fz_" + _uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as d:
        url = URL or f"duckdb:///{d}/w.duckdb"
        wh = Warehouse(url)
        try:
            wh.publish(frame, name)
        except Exception as exc:
            print("PUBLISH REFUSED", type(exc).__name__, str(exc)[:200]); return
        source = wh.read(name)
        spec = TableSpec.parse({"table": name, "key": ["id"], "fill": fill})
        run = TableRun(spec, wh, ModelStore(d + "/models"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            missing = run.detect()
            columns = run.columns(missing)
            if not columns:
                print("NOCOLUMNS", dict(missing.columns) if hasattr(missing, "columns") else missing)
                return
            run.train_or_reuse(columns)
            try:
                run.fill_and_publish(columns)
            except Exception as exc:
                if type(exc).__name__ in ("NothingToFill",):
                    print("NOTHING"); return
                raise
        print("FILLED", fill, list(columns))
        out = wh.read(spec.output_name).sort_values("id").reset_index(drop=True)
        src = source.sort_values("id").reset_index(drop=True)
        assert len(out) == len(src)
        for c in src.columns:
            obs = src[c].notna().to_numpy()
            assert out[c][obs].tolist() == src[c][obs].tolist(), c
            assert out[c].dtype == src[c].dtype, (c, out[c].dtype, src[c].dtype)
        if URL:
            import sqlalchemy as sa
            with wh.engine.begin() as conn:
                for t in (name, spec.output_name, spec.audit_name):
                    conn.execute(sa.text(f'DROP TABLE IF EXISTS {wh.dialect.qualified(t, None)}'))
