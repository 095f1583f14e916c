"""Recipes: everything the analyst chose, as data, so a run can be replayed headless.

A :class:`Recipe` is written as ``recipe.json`` in every export bundle and read back by
``python -m core apply``. A recipe is data, never code: :func:`read_recipe` accepts only a JSON
object of the documented shape (no unknown keys, bounded sizes and numbers, known strategies,
plain file names) and raises :class:`core.errors.RecipeError` naming the bad field otherwise.
"""

from __future__ import annotations

import codecs
import json
import math
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.data import MAX_CATEGORIES, ROLES, TEXT_DIM, FeatureConfig
from core.errors import RecipeError, SkewlabError
from core.params import SEED, Choice, Constraint, Interval, check, shown
from core.strategies import SMALL_CLASS_CHOICES, TargetSpec, coerce_target, parse_pipeline, validate_params
from core.text import ENCODERS, get_spec

#: Version of the recipe format (bump when a field changes meaning).
SCHEMA_VERSION = 1
#: Version of Skewlab written into recipes.
SKEWLAB_VERSION = "0.1.0"
#: Largest recipe file accepted.
MAX_BYTES = 1_000_000
#: Deepest nesting of JSON containers accepted.
MAX_DEPTH = 8
#: Longest string accepted anywhere in a recipe (column names, class names...).
MAX_STRING = 10_000
#: Most columns / classes a recipe may name.
MAX_ITEMS = 100_000
SCOPES: tuple[str, ...] = ("whole", "split")
#: How the catalog was read (``InputSpec.format``).
INPUT_FORMATS: tuple[str, ...] = ("csv", "parquet", "excel")
#: Share of each class held out as test in the split scope.
TEST_SHARE = Interval("float", 0.05, 0.9)
#: Path level of the label (0 or null: the whole label).
LABEL_LEVEL = Interval("int", 0, 100)
#: Libraries whose versions a recipe records.
LIBRARIES: tuple[tuple[str, str], ...] = (
    ("numpy", "numpy"),
    ("pandas", "pandas"),
    ("scikit-learn", "sklearn"),
    ("imbalanced-learn", "imblearn"),
    ("umap-learn", "umap"),
)
#: Libraries whose version change can change the rows a recipe makes.
RESULT_LIBRARIES: tuple[str, ...] = ("numpy", "scikit-learn", "imbalanced-learn")


@dataclass(frozen=True)
class InputSpec:
    """The catalog a recipe was made on and how it was read.

    Attributes
    ----------
    name : str
        File name (a plain name, no folders).
    sha256 : str
        Hex digest of the file's bytes (the data fingerprint).
    format : str
        ``csv``, ``parquet`` or ``excel``.
    encoding, delimiter, sheet, member : str or None
        Reading options (None where they do not apply).
    """

    name: str
    sha256: str
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    member: str | None = None


@dataclass(frozen=True)
class LabelSpec:
    """The label column and, for a path label, the level and separator."""

    column: str
    level: int | None = None
    separator: str | None = None


@dataclass(frozen=True)
class ScopeSpec:
    """What is rebalanced.

    Attributes
    ----------
    kind : str
        ``whole`` (every labelled row, for a production model) or ``split`` (a stratified
        train / test split; only train is rebalanced, test is left as it is).
    test_share : float
        Share of each class's rows held out as test (split only), in [0.05, 0.9].
    seed : int
        Seed of the split.
    """

    kind: str = "whole"
    test_share: float = 0.2
    seed: int = 0


@dataclass(frozen=True)
class Recipe:
    """Everything needed to replay an export.

    Attributes
    ----------
    input : InputSpec
    roles : dict column -> role
    label : LabelSpec
    features : FeatureConfig
    strategy : str
        Registry name or pipeline ``a+b``.
    params : dict
        Validated parameters (``{step: {...}}`` for a pipeline).
    target : str
        The target's text form (a table as JSON text).
    small_classes : str
    seed : int
    scope : ScopeSpec
    versions : dict library -> version (informational)
    schema_version : int
    text_encoder_sha256 : str or None
        sha256 of the text encoder's weights the recipe was made with (None: the encoder has no
        weights, or the recipe did not say; written as this Skewlab's).
    """

    input: InputSpec
    roles: dict[str, str]
    label: LabelSpec
    features: FeatureConfig
    strategy: str
    params: dict[str, Any]
    target: str = "auto"
    small_classes: str = "error"
    seed: int = 0
    scope: ScopeSpec = field(default_factory=ScopeSpec)
    versions: dict[str, str] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    text_encoder_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the recipe.json layout)."""
        f = self.features
        return {
            "schema_version": self.schema_version,
            "input": {
                "name": self.input.name,
                "sha256": self.input.sha256,
                "format": self.input.format,
                "encoding": self.input.encoding,
                "delimiter": self.input.delimiter,
                "sheet": self.input.sheet,
                "member": self.input.member,
            },
            "roles": dict(self.roles),
            "label": {"column": self.label.column, "level": self.label.level, "separator": self.label.separator},
            "features": {
                "numeric": list(f.numeric),
                "categorical": list(f.categorical),
                "text": list(f.text),
                "text_dim": int(f.text_dim),
                "max_categories": int(f.max_categories),
                "seed": int(f.seed),
                "text_encoder": f.text_encoder,
                "text_encoder_sha256": self.encoder_sha256(),
            },
            "strategy": self.strategy,
            "params": _plain(self.params),
            "target": self.target,
            "small_classes": self.small_classes,
            "seed": int(self.seed),
            "scope": {"kind": self.scope.kind, "test_share": float(self.scope.test_share), "seed": int(self.scope.seed)},
            "versions": dict(self.versions),
        }

    def encoder_sha256(self) -> str | None:
        """sha256 of the text encoder's weights: the recipe's, else this Skewlab's (None: no weights)."""
        return self.text_encoder_sha256 or get_spec(self.features.text_encoder).weights_sha256

    def to_json(self) -> str:
        """The recipe as indented JSON text (deterministic: same recipe, same text)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def target_spec(self) -> TargetSpec:
        """The target as a :class:`TargetSpec`."""
        return parse_target_text(self.target)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def library_versions() -> dict[str, str]:
    """Versions of Python, the libraries that shape results, and Skewlab."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist, _module in LIBRARIES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    out["skewlab"] = SKEWLAB_VERSION
    return out


def parse_target_text(text: str) -> TargetSpec:
    """A target from its text form (``floor:50``...; a table as a JSON object)."""
    try:
        if text.strip().startswith("{"):
            return coerce_target(json.loads(text))
        return TargetSpec.parse(text)
    except (ValueError, SkewlabError) as exc:
        raise RecipeError(f"Recipe field 'target' ({text[:80]!r}) is not a valid target: {exc}") from None


def make_recipe(
    *,
    input: InputSpec,
    roles: Mapping[str, str],
    label: LabelSpec,
    features: FeatureConfig,
    strategy: str,
    params: Mapping[str, Any] | None = None,
    target: str | TargetSpec | Mapping[str, int] = "auto",
    small_classes: str = "error",
    seed: int = 0,
    scope: ScopeSpec | None = None,
) -> Recipe:
    """Build a recipe from the analyst's choices, validated exactly like a recipe file.

    Raises
    ------
    RecipeError
        Naming the bad choice.
    """
    try:
        tgt = coerce_target(target).to_text()
    except SkewlabError as exc:
        raise RecipeError(f"The target is not valid: {exc}") from None
    recipe = Recipe(
        input=input,
        roles={str(k): str(v) for k, v in roles.items()},
        label=label,
        features=features,
        strategy=strategy,
        params=dict(params or {}),
        target=tgt,
        small_classes=small_classes,
        seed=int(seed),
        scope=scope or ScopeSpec(),
        versions=library_versions(),
    )
    return recipe_from_dict(recipe.to_dict())


# ------------------------------------------------------------------------------------- reading


def read_recipe(data: str | bytes) -> Recipe:
    """Read and validate recipe.json text.

    Parameters
    ----------
    data : str or bytes
        The file's content (UTF-8).

    Returns
    -------
    Recipe

    Raises
    ------
    RecipeError
        Too large, not JSON, too deeply nested, or not of the recipe's shape (the message names
        the field and what is allowed).
    """
    if isinstance(data, str):
        raw = data.encode("utf-8", errors="surrogatepass")
    elif isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    else:
        raise RecipeError(f"A recipe must be JSON text, got {type(data).__name__}.")
    if len(raw) > MAX_BYTES:
        raise RecipeError(
            f"The recipe is {len(raw):,} bytes; a recipe is at most {MAX_BYTES:,} bytes.",
            hint="Use the recipe.json of an export bundle.",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"The recipe is not UTF-8 text (bad byte at position {exc.start}).") from None
    try:
        obj = json.loads(text, parse_constant=_no_constant, parse_int=_bounded_int)
    except RecipeError:
        raise
    except RecursionError:
        raise RecipeError(f"The recipe nests deeper than {MAX_DEPTH} levels.") from None
    except json.JSONDecodeError as exc:
        raise RecipeError(f"The recipe is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except ValueError as exc:
        raise RecipeError(f"The recipe is not valid JSON: {exc}.") from None
    return recipe_from_dict(obj)


def _no_constant(name: str) -> Any:
    raise RecipeError(f"The recipe holds {name}, which is not a JSON number.", hint="Write a finite number.")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 20:
        raise RecipeError(f"The recipe holds a number with {len(text)} digits; numbers in a recipe are far smaller.")
    return int(text)


def _depth(obj: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(obj, dict):
        return max([_depth(v, level + 1) for v in obj.values()] or [level + 1])
    if isinstance(obj, list):
        return max([_depth(v, level + 1) for v in obj] or [level + 1])
    return level


def _where(path: str) -> str:
    return f"Recipe field {path!r}"


def _obj(value: Any, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise RecipeError(f"{_where(path)} must be a JSON object, got {_type(value)}.")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        raise RecipeError(
            f"{_where(path)} has unknown key(s) {', '.join(map(repr, unknown[:5]))}.",
            hint=f"Allowed keys: {', '.join(required + optional)}.",
        )
    missing = [k for k in required if k not in value]
    if missing:
        raise RecipeError(f"{_where(path)} lacks the key(s) {', '.join(map(repr, missing))}.")
    return value


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def _str(value: Any, path: str, *, optional: bool = False, max_len: int = MAX_STRING, empty: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise RecipeError(f"{_where(path)} must be text{' or null' if optional else ''}, got {_type(value)}.")
    if len(value) > max_len:
        raise RecipeError(f"{_where(path)} is {len(value):,} characters long; at most {max_len:,} are allowed.")
    if not value and not empty:
        raise RecipeError(f"{_where(path)} is empty.")
    if "\x00" in value:
        raise RecipeError(f"{_where(path)} holds a NUL character.")
    return value


def _checked(value: Any, path: str, constraint: Constraint) -> Any:
    return check(value, constraint, name=repr(path), where="Recipe field ", error=RecipeError, strict=True)


_PLAIN_NAME = re.compile(r"^[^/\\\x00-\x1f]+$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _file_name(value: Any, path: str, *, optional: bool = False) -> str | None:
    name = _str(value, path, optional=optional, max_len=255)
    if name is None:
        return None
    if not _PLAIN_NAME.match(name) or name in (".", "..") or ".." in name.split("/"):
        raise RecipeError(
            f"{_where(path)} ({shown(repr(name))}) must be a plain file name: no folders, no '..', no control characters."
        )
    return name


def _member_name(value: Any, path: str) -> str | None:
    name = _str(value, path, optional=True, max_len=1000)
    if name is None:
        return None
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or re.search(r"[\x00-\x1f]", name) or re.match(r"^[A-Za-z]:", name):
        raise RecipeError(f"{_where(path)} ({shown(repr(name))}) must be a relative name inside the zip, without '..'.")
    return name


def _str_list(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise RecipeError(f"{_where(path)} must be a list of column names, got {_type(value)}.")
    if len(value) > MAX_ITEMS:
        raise RecipeError(f"{_where(path)} names {len(value):,} columns; at most {MAX_ITEMS:,} are allowed.")
    return tuple(_str(v, f"{path}[{i}]", empty=True) for i, v in enumerate(value))


def recipe_from_dict(obj: Any) -> Recipe:
    """Validate a parsed recipe.json object and build the :class:`Recipe`.

    Raises
    ------
    RecipeError
        Naming the first bad field and what is allowed.
    """
    if _depth(obj) > MAX_DEPTH:
        raise RecipeError(f"The recipe nests deeper than {MAX_DEPTH} levels.")
    top = _obj(
        obj, "recipe",
        required=("schema_version", "input", "roles", "label", "features", "strategy", "params", "target", "seed"),
        optional=("small_classes", "scope", "versions"),
    )
    version = top["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version != SCHEMA_VERSION:
        raise RecipeError(
            f"{_where('schema_version')} is {shown(repr(version))}; this Skewlab reads version {SCHEMA_VERSION}.",
            hint="Export the recipe again with this version of Skewlab.",
        )
    input_spec = _read_input(top["input"])
    roles = _read_roles(top["roles"])
    label = _read_label(top["label"], roles)
    features, encoder_sha = _read_features(top["features"], roles)
    strategy, params = _read_strategy(top["strategy"], top["params"])
    target = parse_target_text(_str(top["target"], "target", max_len=MAX_BYTES)).to_text()
    small = _checked(top.get("small_classes", "error"), "small_classes", Choice(SMALL_CLASS_CHOICES))
    seed = _checked(top["seed"], "seed", SEED)
    scope = _read_scope(top.get("scope", {"kind": "whole"}))
    versions = _read_versions(top.get("versions", {}))
    return Recipe(
        input=input_spec,
        roles=roles,
        label=label,
        features=features,
        strategy=strategy,
        params=params,
        target=target,
        small_classes=small,
        seed=seed,
        scope=scope,
        versions=versions,
        schema_version=SCHEMA_VERSION,
        text_encoder_sha256=encoder_sha,
    )


def _read_input(value: Any) -> InputSpec:
    inp = _obj(value, "input", required=("name", "sha256"), optional=("format", "encoding", "delimiter", "sheet", "member"))
    sha = _str(inp["sha256"], "input.sha256", max_len=64)
    if not _HEX64.match(sha):
        raise RecipeError(f"{_where('input.sha256')} must be 64 lowercase hex digits (a sha256), got {shown(repr(sha))}.")
    fmt = _checked(inp.get("format", "csv"), "input.format", Choice(INPUT_FORMATS))
    encoding = _str(inp.get("encoding"), "input.encoding", optional=True, max_len=40)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise RecipeError(f"{_where('input.encoding')} names an unknown encoding {encoding!r}.") from None
    delimiter = _str(inp.get("delimiter"), "input.delimiter", optional=True, max_len=1)
    if delimiter is not None and delimiter in ('"', "\n", "\r"):
        raise RecipeError(f"{_where('input.delimiter')} cannot be {delimiter!r}.")
    return InputSpec(
        name=_file_name(inp["name"], "input.name"),
        sha256=sha,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        sheet=_str(inp.get("sheet"), "input.sheet", optional=True, max_len=255),
        member=_member_name(inp.get("member"), "input.member"),
    )


def _read_roles(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise RecipeError(f"{_where('roles')} must be a non-empty object {{column: role}}, got {_type(value)}.")
    if len(value) > MAX_ITEMS:
        raise RecipeError(f"{_where('roles')} names {len(value):,} columns; at most {MAX_ITEMS:,} are allowed.")
    roles: dict[str, str] = {}
    for col, role in value.items():
        _str(col, "roles (a column name)", empty=True)
        roles[col] = _checked(role, "roles." + col[:60], Choice(ROLES))
    return roles


def _read_label(value: Any, roles: Mapping[str, str]) -> LabelSpec:
    lab = _obj(value, "label", required=("column",), optional=("level", "separator"))
    level = lab.get("level")
    label = LabelSpec(
        column=_str(lab["column"], "label.column", empty=True),
        level=None if level is None else _checked(level, "label.level", LABEL_LEVEL),
        separator=_str(lab.get("separator"), "label.separator", optional=True, max_len=10),
    )
    if label.level and not label.separator:
        raise RecipeError(f"{_where('label.level')} is {label.level}, but 'label.separator' is missing.",
                          hint="A path level needs the separator, e.g. ' > '.")
    n_label = sum(r == "label" for r in roles.values())
    if n_label != 1:
        raise RecipeError(f"{_where('roles')} gives the role 'label' to {n_label} columns; exactly one is needed.")
    if roles.get(label.column) != "label":
        raise RecipeError(f"{_where('label.column')} ({label.column[:60]!r}) must have the role 'label' in 'roles'.")
    return label


def _read_features(value: Any, roles: Mapping[str, str]) -> tuple[FeatureConfig, str | None]:
    """The feature config and the text encoder's weights sha256 (a recipe without ``text_encoder`` used TF-IDF)."""
    feat = _obj(value, "features", required=("numeric", "categorical", "text"),
                optional=("text_dim", "max_categories", "seed", "text_encoder", "text_encoder_sha256"))
    features = FeatureConfig(
        numeric=_str_list(feat["numeric"], "features.numeric"),
        categorical=_str_list(feat["categorical"], "features.categorical"),
        text=_str_list(feat["text"], "features.text"),
        text_dim=_checked(feat.get("text_dim", 64), "features.text_dim", TEXT_DIM),
        max_categories=_checked(feat.get("max_categories", 30), "features.max_categories", MAX_CATEGORIES),
        seed=_checked(feat.get("seed", 0), "features.seed", SEED),
        text_encoder=_checked(feat.get("text_encoder", "tfidf"), "features.text_encoder", Choice(tuple(ENCODERS))),
    )
    sha = _str(feat.get("text_encoder_sha256"), "features.text_encoder_sha256", optional=True, max_len=64)
    if sha is not None and (not _HEX64.match(sha) or get_spec(features.text_encoder).weights_sha256 is None):
        raise RecipeError(f"{_where('features.text_encoder_sha256')} must be 64 lowercase hex digits for an encoder "
                          f"with weights, and null for {features.text_encoder!r}; got {shown(repr(sha))}.")
    for kind in ("numeric", "categorical", "text"):
        for col in getattr(features, kind):
            if roles.get(col) != kind:
                raise RecipeError(f"{_where('features.' + kind)} names {col[:60]!r}, whose role in 'roles' is {roles.get(col)!r}.")
    if not features.columns:
        raise RecipeError(f"{_where('features')} names no feature column.")
    return features, sha


def _read_strategy(value: Any, params: Any) -> tuple[str, dict[str, Any]]:
    """The strategy and its checked parameters (defaults filled in)."""
    strategy = _str(value, "strategy", max_len=500)
    try:
        parse_pipeline(strategy)
    except SkewlabError as exc:
        raise RecipeError(f"{_where('strategy')}: {exc}") from None
    if not isinstance(params, dict):
        raise RecipeError(f"{_where('params')} must be an object, got {_type(params)}.")
    for key, value in params.items():
        inner = value.values() if isinstance(value, dict) else [value]
        for v in inner:
            if isinstance(v, (dict, list)):
                raise RecipeError(f"{_where('params.' + key[:60])} must hold plain values (numbers, text, true/false).")
            if isinstance(v, float) and not math.isfinite(v):
                raise RecipeError(f"{_where('params.' + key[:60])} holds a non-finite number.")
    try:
        return strategy, validate_params(strategy, params)
    except SkewlabError as exc:
        raise RecipeError(f"{_where('params')}: {exc}") from None


def _read_scope(value: Any) -> ScopeSpec:
    sc = _obj(value, "scope", required=("kind",), optional=("test_share", "seed"))
    return ScopeSpec(
        kind=_checked(sc["kind"], "scope.kind", Choice(SCOPES)),
        test_share=_checked(sc.get("test_share", 0.2), "scope.test_share", TEST_SHARE),
        seed=_checked(sc.get("seed", 0), "scope.seed", SEED),
    )


def _read_versions(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > 50:
        raise RecipeError(f"{_where('versions')} must be an object of at most 50 {{library: version}} entries.")
    return {_str(k, "versions (a name)", max_len=100): _str(v, f"versions.{k[:40]}", max_len=100) for k, v in value.items()}


def version_warnings(recipe: Recipe, current: Mapping[str, str] | None = None) -> list[str]:
    """Messages for libraries whose version differs from the recipe's (results may differ)."""
    current = dict(current or library_versions())
    out = []
    for lib in RESULT_LIBRARIES:
        was, now = recipe.versions.get(lib), current.get(lib)
        if was and now and was != now:
            out.append(f"The recipe was made with {lib} {was}; this is {now}: resampled rows may differ.")
    return out
