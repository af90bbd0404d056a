"""A custom translator's choices survive the factory: merged, never overwritten."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest

from impute_assets.dagster import ImputationTranslator, build_imputation_defs

UPSTREAM = dg.AssetKey("upstream")
CONDITION = dg.AutomationCondition.on_cron("0 3 * * *")
#: attribute -> (what the translator sets on every spec, how to read it back from an AssetSpec)
CHOICES: dict[str, tuple[Any, Any]] = {
    "code_version": ("mine", lambda s: s.code_version),
    "automation_condition": (CONDITION, lambda s: s.automation_condition),
    "group_name": ("imputation", lambda s: s.group_name),
    "description": ("ours", lambda s: s.description),
    "owners": (["team:data"], lambda s: s.owners),
    "tags": ({"team": "data"}, lambda s: {k: v for k, v in s.tags.items() if k == "team"}),
    "metadata": ({"owner_note": "x"}, lambda s: {"owner_note": s.metadata.get("owner_note")}),
}


class _Choosing(ImputationTranslator):
    def __init__(self, attribute: str, value: Any) -> None:
        self.attribute, self.value = attribute, value

    def get_asset_spec(self, data):
        spec = super().get_asset_spec(data)
        if self.attribute == "deps":
            return spec.merge_attributes(deps=[UPSTREAM])
        return spec.replace_attributes(**{self.attribute: self.value})


def _specs(translator: ImputationTranslator) -> dict[str, dg.AssetSpec]:
    defs = build_imputation_defs(
        [{"table": "t", "columns": ["c"], "partition": {"column": "m", "kind": "dynamic"}}],
        translator=translator,
    )
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): spec
        for assets in graph.assets_defs
        for key, spec in ((s.key, s) for s in assets.specs)
    }


@pytest.mark.parametrize("attribute", sorted(CHOICES))
def test_the_translators_attribute_is_kept(attribute):
    value, read = CHOICES[attribute]
    specs = _specs(_Choosing(attribute, value))
    for name in ("t/models/c", "t_imputed"):
        assert read(specs[name]) == value, name


def test_the_translators_deps_are_merged_with_the_factorys():
    specs = _specs(_Choosing("deps", None))
    deps = {d.asset_key.to_user_string() for d in specs["t_imputed"].deps}
    assert deps == {"upstream", "t", "t/models/c"}
    assert {d.asset_key for d in specs["t/models/c"].deps} == {UPSTREAM, dg.AssetKey("t")}


def test_the_factory_fills_what_the_translator_left_unset():
    specs = _specs(ImputationTranslator())
    imputed = specs["t_imputed"]
    assert imputed.code_version and imputed.automation_condition is not None
    assert isinstance(imputed.partitions_def, dg.DynamicPartitionsDefinition)
    assert specs["t/models/c"].code_version and specs["t/models/c"].skippable
