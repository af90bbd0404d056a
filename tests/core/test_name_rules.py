"""Names written elsewhere (model store folders, Dagster keys, saved imputers, staging
tables) stay byte-identical: each rule of ``core.names`` is pinned on awkward names."""

from __future__ import annotations

import pytest

from impute_assets.core.names import dagster_slug, folder_name, store_key, table_tag

#: name -> (store key, Dagster slug, imputer folder, staging tag), as written before the rules
#: moved to core.names.
PINNED = {
    "Culmen Length (mm)": (
        "Culmen_Length_mm-baf2eecc3c",
        "Culmen_Length_mm_baf2eecc",
        "Culmen_Length_mm_",
        "0b3f0d",
    ),
    "Délta": ("D_lta-17ca62b1cc", "Delta_17ca62b1", "D_lta", "85bbdc"),
    "% change": ("change-ec8945f217", "change_ec8945f2", "_change", "df13a5"),
    "my table/x": ("my_table_x-533e4c607e", "my_table_x_533e4c60", "my_table_x", "463560"),
    "a" * 70: (
        "a" * 48 + "-6bd5e50348",
        "a" * 48 + "_6bd5e503",
        "a" * 40,
        "ed6c69",
    ),
    "é": ("_-4a99557e40", "e_4a99557e", "_", "bf15be"),
    "..": ("_-5ec1f7e700", "n_5ec1f7e7", "..", "9d891e"),
}


@pytest.mark.parametrize("name", list(PINNED))
def test_every_rule_gives_the_name_it_gave_before(name):
    assert (store_key(name), dagster_slug(name), folder_name(name), table_tag(name)) == PINNED[name]


def test_dagster_names_and_keys_are_unchanged():
    from impute_assets.dagster.translator import dagster_name

    assert dagster_name("temp") == "temp"  # valid: kept as it is
    assert dagster_name("_x_") == "_x_"
    assert dagster_name("Culmen Length (mm)") == "Culmen_Length_mm_baf2eecc"
    assert dagster_name("a" * 49) == "a" * 48 + "_" + dagster_slug("a" * 49)[-8:]


def test_an_empty_name_has_no_store_key():
    with pytest.raises(ValueError, match="empty name"):
        store_key("")
