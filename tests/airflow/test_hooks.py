"""Airflow connections become the SQLAlchemy URLs the warehouse layer opens."""

from __future__ import annotations

import pytest
from airflow.sdk import Connection

from impute_assets.airflow import connection_url


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "postgres://etl:s3cret@db:5432/analytics?sslmode=require",
            "postgresql+psycopg://etl:s3cret@db:5432/analytics?sslmode=require",
        ),
        ("mysql://root@db:3306/shop", "mysql+pymysql://root@db:3306/shop"),
        ("duckdb:////data/warehouse.duckdb", "duckdb:////data/warehouse.duckdb"),
        ("sqlite:////data/warehouse.sqlite", "sqlite:////data/warehouse.sqlite"),
        # A SQLAlchemy URL as the connection URI keeps its driver.
        (
            "postgresql+psycopg://etl:pw@db:5432/analytics",
            "postgresql+psycopg://etl:pw@db:5432/analytics",
        ),
        (
            "generic://etl:pw@db/analytics?sqlalchemy_scheme=postgresql%2Bpg8000",
            "postgresql+pg8000://etl:pw@db/analytics",
        ),
    ],
)
def test_connection_url(uri, expected):
    url = connection_url(Connection.from_uri(uri, conn_id="warehouse"))
    assert url.render_as_string(hide_password=False) == expected


def test_connection_url_hides_the_password_when_rendered():
    url = connection_url(Connection.from_uri("postgres://etl:s3cret@db/analytics", conn_id="w"))
    assert "s3cret" not in str(url) and "s3cret" not in repr(url)
    assert "etl:***@db" in str(url)  # hidden where shown ...
    assert url.password == "s3cret"  # ... and still there for the driver
