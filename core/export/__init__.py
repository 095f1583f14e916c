"""Export: recipes, their replay on a catalog, the written tables, the report and the zip bundle.

Along the way of an export: :mod:`.recipe` (what the analyst chose, as checked data) ->
:mod:`.apply` (the recipe replayed on a catalog) -> :mod:`.tables` (the output table with
provenance) -> :mod:`.write` (CSV, Parquet or Excel bytes, spreadsheet safety) and
:mod:`.report` (report.html) -> :mod:`.bundle` (the zip). Each module imports only the ones
before it.

The names below are loaded from their module on first use (PEP 562): ``python -m core resample``
needs :mod:`.tables` and :mod:`.write` only, and importing the report and bundle code with them
cost 0.1 s of a 60,000-row job.
"""

import importlib
from typing import Any

#: Public name -> the module of this package that defines it.
_WHERE: dict[str, str] = {
    **dict.fromkeys(
        ("SPLIT_COLUMN", "TEST", "TRAIN", "UNLABELLED", "Applied", "apply_recipe", "check_input",
         "recipe_roles", "stratified_split", "typed_tables",),
        "apply",
    ),
    **dict.fromkeys(
        ("bundle_name", "export_bundle", "member_names",),
        "bundle",
    ),
    **dict.fromkeys(
        ("MAX_BYTES", "SCHEMA_VERSION", "SCOPES", "TEST_SHARE", "InputSpec", "LabelSpec", "Recipe",
         "ScopeSpec", "library_versions", "make_recipe", "read_recipe", "recipe_from_dict",
         "version_warnings",),
        "recipe",
    ),
    **dict.fromkeys(
        ("build_report", "map_figure",),
        "report",
    ),
    **dict.fromkeys(
        ("build_output_table", "output_notes", "removed_table",),
        "tables",
    ),
    **dict.fromkeys(
        ("EXTENSIONS", "FORMATS", "FORMULA_START", "format_of", "neutralize_formulas", "write_table",),
        "write",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = sorted(_WHERE)
