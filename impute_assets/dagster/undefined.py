"""A table that could not be defined: a visible asset that fails with the reason.

A warehouse name Dagster refuses, a translator that raises, a table declared twice, two tables
writing one output: each such table is replaced by one asset of its own whose description and
materialization say what went wrong, and the code location (every other table) loads as usual.
The reason is also logged when the definitions are built.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import dagster as dg

from impute_assets.dagster.metadata_set import ImputationMetadata
from impute_assets.dagster.translator import dagster_name
from impute_assets.pipeline.spec import TableSpec

_log = logging.getLogger(__name__)
#: Last part of the placeholder's asset key.
PLACEHOLDER = "definition_error"


def undefined_table(
    spec: TableSpec, entry: str, reason: str, taken: Collection[dg.AssetKey]
) -> dg.AssetsDefinition:
    """An asset standing for ``spec``'s definitions (declared as ``entry``), failing with
    ``reason`` when run; its key (``<table>/definition_error``, numbered if ``taken``) is never
    one of ``taken``."""
    label = spec.store_name
    message = f"table {label!r} ({entry}) could not be defined: {reason}"
    _log.error(message)
    prefix = [dagster_name(spec.db_schema)] if spec.db_schema else []
    key = dg.AssetKey([*prefix, dagster_name(spec.table), PLACEHOLDER])
    number = 1
    while key in taken:
        number += 1
        key = dg.AssetKey([*prefix, dagster_name(spec.table), f"{PLACEHOLDER}_{number}"])

    @dg.multi_asset(
        name=dagster_name(f"{label}/{key.path[-1]}"),  # unique as the key is
        specs=[
            dg.AssetSpec(
                key,
                description=message,
                group_name=PLACEHOLDER,
                kinds={"table"},
                metadata=ImputationMetadata(table=label, definition_error=message).to_metadata(),
            )
        ],
    )
    def _undefined() -> None:
        raise dg.Failure(description=message)

    return _undefined
