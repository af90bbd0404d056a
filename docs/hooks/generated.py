"""An mkdocs hook that writes the docs' reference sections from the code itself.

A page asks for a section with a marker on a line of its own; the hook replaces the marker with
Markdown built from the live objects, so the reference cannot drift from the code:

- ``<!-- generated: table-spec -->``: every key of ``TableSpec`` and of the models it nests
  (type, default, description and example, from the pydantic fields);
- ``<!-- generated: component-keys -->``: the ``attributes`` of a component ``defs.yaml``;
- ``<!-- generated: imputer-config -->``: every ``ImputerConfig`` field (type, default and the
  ``#:`` comment above it);
- ``<!-- generated: left-reasons -->``: the reasons a report gives for a cell left missing;
- ``<!-- generated: cli -->``: ``impute-assets --help`` and each subcommand's ``--help``;
- ``<!-- generated: api MODULE -->``: a mkdocstrings block for each name in ``MODULE.__all__``.

An unknown marker fails the build.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

_MARKER = re.compile(r"^<!-- generated: ([\w-]+)(?: ([\w.]+))? -->$", re.MULTILINE)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace each ``<!-- generated: ... -->`` marker with its section."""
    return _MARKER.sub(lambda m: _SECTIONS[m.group(1)](m.group(2)), markdown)


# ---- TableSpec and the models it nests ------------------------------------------------------

#: One example per key, as YAML data. Each is validated against its model when the site is
#: built (a key that no longer exists, or a value it refuses, fails the build).
EXAMPLES: dict[str, dict[str, Any]] = {
    "TableSpec": {
        "table": "weather",
        "schema": "public",
        "url_env": "WAREHOUSE_URL",
        "key": ["origin", "time_hour"],
        "partition": {"column": "month", "kind": "dynamic"},
        "order_by": "time_hour",
        "group_by": "origin",
        "columns": ["temp", "humid"],
        "skip": ["dep_time"],
        "exclude": ["year", "comment"],
        "structural": [{"when_missing": "dep_time", "columns": ["arr_delay"]}],
        "kinds": {"zip_code": "categorical"},
        "inputs": {"humid": ["temp", "dewp"]},
        "confidence": 0.2,
        "fill": "all",
        "model": {"epochs": 30, "device": "cuda"},
        "column_model": {"humid": {"candidates": ["linear", "mean_mode"]}},
        "reuse": {"mode": "if_fresh", "max_age_days": 30},
        "output_table": "weather_complete",
        "audit_table": "weather_cells",
        "validation": {"distribution": "block"},
        "training_rows": 100000,
        "group": "imputation",
    },
    "PartitionSpec": {"column": "order_month", "kind": "monthly", "start": "2024-01-01"},
    "StructuralGap": {"when_missing": "dep_time", "columns": ["arr_delay", "air_time"]},
    "ReusePolicy": {"mode": "if_fresh", "max_age_days": 30, "max_drift": 0.1, "max_unseen": 0.05},
    "ValidationSpec": {
        "tolerances": {"allowed_missing": 0.01, "std": 0.5},
        "distribution": "block",
        "column_tolerances": {"brainwt": {"kl_divergence": 0.5}},
        "expectations": [
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "name"}}
        ],
    },
}


def table_spec_reference(_: str | None = None) -> str:
    """One table per model: ``TableSpec``, then each model nested in it, under its key."""
    from impute_assets.pipeline import TableSpec

    sections = [(f"`{TableSpec.__name__}`: one entry of `tables:`", TableSpec)]
    for key, model in _nested_models(TableSpec):
        sections.append((f"`{key}`: `{model.__name__}`", model))
    return "\n\n".join(
        f"### {title}\n\n{_doc(model)}\n\n{_model_table(model)}" for title, model in sections
    )


def _nested_models(model: type[BaseModel]) -> list[tuple[str, type[BaseModel]]]:
    """The pydantic models a model's fields hold (``partition``, ``structural[]``, ...)."""
    found = []
    for name, field in model.model_fields.items():
        for inner in _leaf_types(field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                many = typing.get_origin(field.annotation) is list
                found.append((f"{field.alias or name}{'[]' if many else ''}", inner))
    return found


def _leaf_types(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [leaf for arg in args for leaf in _leaf_types(arg)] if args else [annotation]


def _model_table(model: type[BaseModel]) -> str:
    examples = EXAMPLES.get(model.__name__, {})
    model.model_validate(examples)  # an outdated example fails the build
    rows = ["| key | type | default | description | example |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        default = (
            "*required*"
            if field.is_required()
            else _default(field.get_default(call_default_factory=True))
        )
        example = _yaml(examples[key]) if key in examples else ""
        rows.append(
            f"| `{key}` | {_type(field.annotation)} | {default} | "
            f"{_cell(field.description or '')} | {example} |"
        )
    return "\n".join(rows)


# ---- the component's own keys ---------------------------------------------------------------

#: Type, default and description of each ``ImputeTablesComponent`` attribute (its fields carry
#: none). A field missing here fails the build, naming it.
COMPONENT_KEYS: dict[str, tuple[str, str, str]] = {
    "tables": (
        "list of table entries",
        "*required*",
        (
            "one entry per table, with the keys below; each also takes `translation` (Dagster asset "
            "attributes, see the [Dagster guide](dagster.md#naming-groups-and-tags-translation))"
        ),
    ),
    "model_store": (
        "`str`",
        "`.impute_assets/models` in the working directory",
        (
            "folder or fsspec URL (`s3://...`) of the model store; a relative folder is taken from "
            "the `defs.yaml` folder"
        ),
    ),
    "defaults": ("mapping of table keys", "`{}`", "keys every table gets unless it sets them"),
    "name": (
        "`str`",
        "the first table",
        "names the sensors (`impute_new_partitions__<name>`) and the component's state key",
    ),
    "defs_state": (
        "mapping",
        "a file under `defs/.local_defs_state/`",
        (
            "where discovered columns are kept: `{management_type: VERSIONED_STATE_STORAGE}` keeps "
            "them in the Dagster instance, so every run worker sees the same version"
        ),
    ),
}


def component_keys(_: str | None = None) -> str:
    """The ``attributes:`` of a component ``defs.yaml``: every field of the component."""
    from impute_assets.dagster import ImputeTablesComponent

    rows = [
        "| key | type | default | description |",
        "|---|---|---|---|",
        (
            f"| `type` | `str` | *required* | `{ImputeTablesComponent.__module__.rsplit('.', 1)[0]}."
            f"{ImputeTablesComponent.__name__}` |"
        ),
    ]
    for field in dataclasses.fields(ImputeTablesComponent):
        if field.name not in COMPONENT_KEYS:
            raise KeyError(
                f"ImputeTablesComponent.{field.name} is not documented: add it to COMPONENT_KEYS "
                f"in {__file__}"
            )
        kind, default, description = COMPONENT_KEYS[field.name]
        rows.append(f"| `attributes.{field.name}` | {kind} | {default} | {description} |")
    return "\n".join(rows)


# ---- ImputerConfig --------------------------------------------------------------------------


def imputer_config_reference(_: str | None = None) -> str:
    """Every ``ImputerConfig`` field, with the ``#:`` comment written above it in the source."""
    from impute_assets import ImputerConfig

    comments = _field_comments(ImputerConfig)
    rows = ["| field | type | default | description |", "|---|---|---|---|"]
    hints = typing.get_type_hints(ImputerConfig)
    for name, field in ImputerConfig.model_fields.items():
        default = field.get_default(call_default_factory=True)
        rows.append(
            f"| `{name}` | {_type(hints[name])} | {_default(default)} | "
            f"{_cell(comments.get(name, ''))} |"
        )
    return "\n".join(rows)


def _field_comments(cls: type) -> dict[str, str]:
    """The ``#:`` comment lines directly above each annotated field of a class."""
    lines, _ = inspect.getsourcelines(cls)
    tree = ast.parse(inspect.getsource(cls))
    found: dict[str, str] = {}
    for node in tree.body[0].body:  # type: ignore[attr-defined]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            above, row = [], node.lineno - 2
            while row >= 0 and lines[row].strip().startswith("#:"):
                above.insert(0, lines[row].strip().removeprefix("#:").strip())
                row -= 1
            found[node.target.id] = " ".join(above)
    return found


# ---- why a cell is left missing -------------------------------------------------------------


def left_reasons(_: str | None = None) -> str:
    """The reasons a missing cell stays missing: the string constants beside ``ColumnReport``."""
    import impute_assets

    module = importlib.import_module(impute_assets.ColumnReport.__module__)
    reasons = [
        value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)
    ]
    return "\n".join(f"- `{reason}`" for reason in reasons)


# ---- the command line -----------------------------------------------------------------------


def cli_reference(_: str | None = None) -> str:
    """``impute-assets --help``, then each subcommand's ``--help``, as argparse prints them."""
    import argparse
    import os

    from impute_assets.cli import build_parser

    os.environ["COLUMNS"] = "100"
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    parts = [f"```text\n{parser.format_help()}```"]
    for name, sub in actions[0].choices.items():
        parts.append(f"### `impute-assets {name}`\n\n```text\n{sub.format_help()}```")
    return "\n\n".join(parts)


# ---- API reference --------------------------------------------------------------------------


def api_reference(module_name: str | None) -> str:
    """A mkdocstrings block per public name of ``module_name``, at the path defining it."""
    if not module_name:
        raise ValueError("the api marker needs a module: <!-- generated: api MODULE -->")
    module = importlib.import_module(module_name)
    blocks = []
    for name in module.__all__:
        obj = getattr(module, name)
        path = (
            f"{obj.__module__}.{obj.__qualname__}"
            if hasattr(obj, "__qualname__")
            else f"{module_name}.{name}"
        )
        blocks.append(
            f"::: {path}\n    options:\n      heading_level: 3\n      show_root_heading: true\n"
            "      show_root_full_path: false"
        )
    return "\n\n".join(blocks)


_SECTIONS: dict[str, Callable[[str | None], str]] = {
    "table-spec": table_spec_reference,
    "component-keys": component_keys,
    "imputer-config": imputer_config_reference,
    "cli": cli_reference,
    "left-reasons": left_reasons,
    "api": api_reference,
}


# ---- rendering ------------------------------------------------------------------------------


def _doc(obj: type) -> str:
    return inspect.cleandoc(obj.__doc__ or "").split("\n\nExample")[0]


#: Abstract containers under the names YAML readers know them by.
_YAML_NAMES = {Mapping: "dict", Sequence: "list"}


def _type(annotation: Any) -> str:
    """A type as a reader writes it, in one code span: ``str | list[str] | null``."""
    return f"`{_type_text(annotation)}`"


def _type_text(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_text(a) for a in args)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(json.dumps(m.value) for m in annotation)
    if annotation is type(None):
        return "null"
    if annotation is typing.Any:
        return "any"
    if origin is tuple and args[-1:] == (Ellipsis,):  # written as a YAML list
        return f"list[{_type_text(args[0])}]"
    if origin is not None:
        name = _YAML_NAMES.get(origin, getattr(origin, "__name__", str(origin)))
        return f"{name}[{', '.join(_type_text(a) for a in args)}]"
    return getattr(annotation, "__name__", str(annotation))


def _default(value: Any) -> str:
    if isinstance(value, BaseModel):
        return "see below"
    if value is PydanticUndefined:
        return "*required*"
    return _yaml(value)


def _yaml(value: Any) -> str:
    """A value as it is written in YAML (flow style), for a table cell."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    text = json.dumps(value, default=str) if value is not None else "null"
    return f"`{text}`"


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped, Sphinx roles (``:mod:`x```) as plain code."""
    return _ROLE.sub(r"`\1`", " ".join(text.split())).replace("|", "\\|")


_ROLE = re.compile(r":\w+:`[.~]?([^`]+)`")
