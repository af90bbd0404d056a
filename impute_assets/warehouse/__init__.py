"""Warehouse layer: describe, profile missing values in SQL, read in chunks, publish atomically.

SQLAlchemy 2 + Arrow only: no Dagster, Great Expectations or torch imports here.
"""

from impute_assets.warehouse.audit import AUDIT_COLUMNS, audit_frame, audit_table
from impute_assets.warehouse.describe import ColumnDescription, TableDescription
from impute_assets.warehouse.errors import (
    ColumnNotFound,
    ConnectionFailed,
    DuplicateKey,
    PermissionDenied,
    PublishRefused,
    TableNotFound,
    UnreadableValue,
    UnsupportedTypeWarning,
    WarehouseError,
)
from impute_assets.warehouse.keys import KeyHasNull, KeyNotUnique
from impute_assets.warehouse.profile import ColumnMissing, MissingProfile
from impute_assets.warehouse.publish import PublishResult, StagingTable
from impute_assets.warehouse.url import mask_url
from impute_assets.warehouse.warehouse import Warehouse

__all__ = [
    "AUDIT_COLUMNS",
    "ColumnDescription",
    "ColumnMissing",
    "ColumnNotFound",
    "ConnectionFailed",
    "DuplicateKey",
    "KeyHasNull",
    "KeyNotUnique",
    "MissingProfile",
    "PermissionDenied",
    "PublishRefused",
    "PublishResult",
    "StagingTable",
    "TableDescription",
    "TableNotFound",
    "UnreadableValue",
    "UnsupportedTypeWarning",
    "Warehouse",
    "WarehouseError",
    "audit_frame",
    "audit_table",
    "mask_url",
]
