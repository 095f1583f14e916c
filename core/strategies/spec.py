"""The strategy registry: every imbalance strategy as data.

One :class:`StrategySpec` per strategy holds its name, family, summary and parameter specs (type,
default, range, help). Forms, validation, recipes and the "copy as code" snippet are generated
from :data:`REGISTRY`; :mod:`core.strategies.run` runs them. Pipelines are names joined by ``+``
(``isolation_forest+smote+enn``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import ParameterError
from core.strategies.targets import TargetSpec, coerce_target

FAMILIES: tuple[str, ...] = ("baseline", "over", "under", "clean", "combined", "outlier", "reweight")
PARAM_KINDS: tuple[str, ...] = ("int", "float", "bool", "choice")
#: Families whose step makes synthetic rows.
GENERATING = ("over", "combined")
NEAREST_REAL = (
    " Provenance: imbalanced-learn makes the rows; their two parent rows and the weight are recovered from the "
    "geometry (the nearer parent is the seed); a row on no such line keeps its nearest real row as seed."
)


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a strategy.

    Attributes
    ----------
    name : str
    kind : str
        ``int``, ``float``, ``bool`` or ``choice``.
    default : Any
    low, high : float or None
        Inclusive range of int / float parameters.
    choices : tuple
        Allowed values of a choice parameter.
    help : str
    """

    name: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""

    def range_text(self) -> str:
        """The allowed values in words."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        return f"{self.low:g}..{self.high:g}"

    def coerce(self, value: Any, *, strategy: str = "") -> Any:
        """Return ``value`` as this parameter's type, or raise ParameterError naming the range."""
        where = f"{strategy}: " if strategy else ""
        bad = ParameterError(
            f"{where}{self.name}={value if isinstance(value, str) else repr(value)} is not allowed; "
            f"it must be {self.range_text()}.",
            hint=self.help,
        )
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
                return value.strip().lower() in ("true", "1", "yes", "on")
            raise bad
        if self.kind == "choice":
            for choice in self.choices:
                if value == choice or str(value).strip() == str(choice):
                    return choice
            raise bad
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise bad from None
        if number != number:  # NaN
            raise bad
        if self.kind == "int":
            if number != int(number):
                raise bad
            number = int(number)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise bad
        return number


@dataclass(frozen=True)
class StrategySpec:
    """One strategy.

    Attributes
    ----------
    name : str
        Registry key (``smote``).
    label : str
        Display name (``SMOTE``).
    family : str
        One of :data:`FAMILIES`.
    summary : str
        One or two sentences for the analyst.
    params : tuple of ParamSpec
    uses_targets : bool
        Whether the per-class target applies.
    k_param : str or None
        The parameter that sets k of a per-class k-NN (classes need more rows than that).
    k_extra : int
        A class needs ``k + k_extra`` rows (1 for SMOTE-like methods).
    imblearn : str
        ``module:Class`` of the equivalent imbalanced-learn / scikit-learn estimator ("" if none).
    reference : str
        Paper or documentation.
    """

    name: str
    label: str
    family: str
    summary: str
    params: tuple[ParamSpec, ...] = ()
    uses_targets: bool = False
    k_param: str | None = None
    k_extra: int = 1
    imblearn: str = ""
    reference: str = ""

    def param(self, name: str) -> ParamSpec:
        """The parameter called ``name``."""
        for p in self.params:
            if p.name == name:
                return p
        raise ParameterError(
            f"{self.name} has no parameter {name!r}.",
            hint=f"Parameters: {', '.join(p.name for p in self.params) or 'none'}.",
        )

    def defaults(self) -> dict[str, Any]:
        """Every parameter at its default."""
        return {p.name: p.default for p in self.params}

    @property
    def generates(self) -> bool:
        """Whether it makes synthetic rows."""
        return self.family in GENERATING


def _k(name: str = "k_neighbors", default: int = 5, help: str = "") -> ParamSpec:
    return ParamSpec(name, "int", default, 1, 100, help=help or "Nearest neighbours of the same class used to interpolate.")


_CLASSES = ParamSpec(
    "classes",
    "choice",
    "not minority",
    choices=("not minority", "all", "majority", "not majority"),
    help="Which classes may lose rows (imbalanced-learn's sampling_strategy of cleaning methods).",
)
_MIN_CLASS_ROWS = ParamSpec(
    "min_class_rows",
    "int",
    20,
    0,
    1_000_000,
    help="Tail guard: classes with fewer rows are left alone (0 = treat every class).",
)
_CONTAMINATION = ParamSpec("contamination", "float", 0.05, 0.001, 0.5, help="Share of each class's rows removed as outliers.")

_SPECS: tuple[StrategySpec, ...] = (
    StrategySpec("none", "No resampling", "baseline", "Keep every row as it is: the baseline every comparison needs."),
    StrategySpec(
        "random_over",
        "Random over-sampling",
        "over",
        "Copy random rows of small classes until they reach their target. With shrinkage > 0 the copies get Gaussian "
        "noise (smoothed bootstrap, scaled like imbalanced-learn's).",
        (ParamSpec("shrinkage", "float", 0.0, 0.0, 10.0, help="Noise of the smoothed bootstrap (0 = exact copies)."),),
        uses_targets=True,
        imblearn="imblearn.over_sampling:RandomOverSampler",
        reference="imbalanced-learn RandomOverSampler",
    ),
    StrategySpec(
        "smote",
        "SMOTE",
        "over",
        "New rows on the segment between a real row and one of its k nearest neighbours of the same class "
        "(exact provenance: seed, neighbour and weight).",
        (_k(),),
        uses_targets=True,
        k_param="k_neighbors",
        imblearn="imblearn.over_sampling:SMOTE",
        reference="Chawla et al. 2002",
    ),
    StrategySpec(
        "borderline_smote",
        "Borderline-SMOTE",
        "over",
        "SMOTE seeded only from rows near the class border (in danger of being misclassified)." + NEAREST_REAL,
        (
            _k(),
            ParamSpec("m_neighbors", "int", 10, 1, 100, help="Neighbours (all classes) that decide whether a row is in danger."),
            ParamSpec("kind", "choice", "borderline-1", choices=("borderline-1", "borderline-2"), help="borderline-2 also interpolates towards other classes."),
        ),
        uses_targets=True,
        k_param="k_neighbors",
        imblearn="imblearn.over_sampling:BorderlineSMOTE",
        reference="Han et al. 2005",
    ),
    StrategySpec(
        "svm_smote",
        "SVM-SMOTE",
        "over",
        "SMOTE seeded from the support vectors of an SVM between the class and the rest." + NEAREST_REAL,
        (
            _k(),
            ParamSpec("m_neighbors", "int", 10, 1, 100, help="Neighbours (all classes) that decide whether a support vector is in danger."),
            ParamSpec("out_step", "float", 0.5, 0.0, 1.0, help="Step size when extrapolating."),
        ),
        uses_targets=True,
        k_param="k_neighbors",
        imblearn="imblearn.over_sampling:SVMSMOTE",
        reference="Nguyen et al. 2011",
    ),
    StrategySpec(
        "kmeans_smote",
        "KMeans-SMOTE",
        "over",
        "Cluster with k-means, then SMOTE inside the clusters where the class is dense." + NEAREST_REAL
        + " Rows a cluster cannot give are made with plain SMOTE (said in the notes).",
        (
            _k(default=2),
            ParamSpec("n_clusters", "int", 8, 1, 500, help="k-means clusters."),
            ParamSpec(
                "cluster_balance_threshold", "float", 0.0, 0.0, 1.0,
                help="Least share of the class in a cluster for SMOTE to run there (0 = imbalanced-learn's 'auto').",
            ),
        ),
        uses_targets=True,
        k_param="k_neighbors",
        imblearn="imblearn.over_sampling:KMeansSMOTE",
        reference="Douzas et al. 2018",
    ),
    StrategySpec(
        "adasyn",
        "ADASYN",
        "over",
        "SMOTE that makes more rows where a class is harder to learn (more other-class neighbours)." + NEAREST_REAL
        + " ADASYN rounds per row; the notes say when rows were trimmed or topped up with SMOTE to hit the target.",
        (_k("n_neighbors", 5, "Neighbours used both for the difficulty ratio and for interpolation."),),
        uses_targets=True,
        k_param="n_neighbors",
        imblearn="imblearn.over_sampling:ADASYN",
        reference="He et al. 2008",
    ),
    StrategySpec(
        "smote_nc",
        "SMOTE-NC",
        "over",
        "SMOTE for mixed data: numbers interpolated, categorical columns take the most frequent value among the "
        "neighbours." + NEAREST_REAL + " Without categorical columns it is plain SMOTE.",
        (_k(),),
        uses_targets=True,
        k_param="k_neighbors",
        imblearn="imblearn.over_sampling:SMOTENC",
        reference="Chawla et al. 2002",
    ),
    StrategySpec(
        "random_under",
        "Random under-sampling",
        "under",
        "Drop random rows of large classes down to their target.",
        (),
        uses_targets=True,
        imblearn="imblearn.under_sampling:RandomUnderSampler",
    ),
    StrategySpec(
        "near_miss",
        "NearMiss",
        "under",
        "Keep the rows of large classes that are closest to the smallest class (version 1: to its nearest rows, "
        "2: to its farthest rows, 3: a fixed number per small-class row).",
        (
            ParamSpec("version", "int", 1, 1, 3, help="NearMiss version 1, 2 or 3."),
            ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours in the smallest class used for the mean distance."),
            ParamSpec("n_neighbors_ver3", "int", 3, 1, 100, help="Version 3 only: neighbours kept per small-class row."),
        ),
        uses_targets=True,
        k_param="n_neighbors",
        k_extra=0,
        imblearn="imblearn.under_sampling:NearMiss",
        reference="Mani & Zhang 2003",
    ),
    StrategySpec(
        "tomek_links",
        "Tomek links",
        "clean",
        "Remove rows that form a Tomek link (two rows of different classes that are each other's nearest neighbour).",
        (_CLASSES,),
        imblearn="imblearn.under_sampling:TomekLinks",
        reference="Tomek 1976",
    ),
    StrategySpec(
        "enn",
        "Edited nearest neighbours",
        "clean",
        "Remove rows whose nearest neighbours mostly (or all) belong to other classes.",
        (
            ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours that vote."),
            ParamSpec("kind_sel", "choice", "all", choices=("all", "mode"), help="'all': keep a row only if all neighbours agree; 'mode': if most do."),
            _CLASSES,
        ),
        imblearn="imblearn.under_sampling:EditedNearestNeighbours",
        reference="Wilson 1972",
    ),
    StrategySpec(
        "ncr",
        "Neighbourhood cleaning rule",
        "clean",
        "ENN (mode) plus removal of the neighbours of misclassified rows of the smallest class.",
        (
            ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours that vote."),
            ParamSpec("threshold_cleaning", "float", 0.5, 0.0, 1.0, help="Classes larger than this share of the smallest class are cleaned."),
            _CLASSES,
        ),
        imblearn="imblearn.under_sampling:NeighbourhoodCleaningRule",
        reference="Laurikkala 2001",
    ),
    StrategySpec(
        "oss",
        "One-sided selection",
        "clean",
        "Keep the rows of large classes a 1-NN rule misclassifies, then remove Tomek links.",
        (
            ParamSpec("n_neighbors", "int", 1, 1, 100, help="Neighbours of the k-NN rule."),
            ParamSpec("n_seeds_S", "int", 1, 1, 1000, help="Rows of each large class that seed the kept set."),
            _CLASSES,
        ),
        imblearn="imblearn.under_sampling:OneSidedSelection",
        reference="Kubat & Matwin 1997",
    ),
    StrategySpec(
        "cluster_centroids",
        "Cluster centroids",
        "under",
        "Replace large classes by k-means centroids, keeping the real row nearest to each centroid (hard voting), "
        "so every kept row is a real row.",
        (),
        uses_targets=True,
        imblearn="imblearn.under_sampling:ClusterCentroids",
        reference="imbalanced-learn ClusterCentroids",
    ),
    StrategySpec(
        "smote_enn",
        "SMOTE + ENN",
        "combined",
        "SMOTE, then edited nearest neighbours over every class (synthetic rows it removes just disappear).",
        (_k(), ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours of the ENN cleaning."),
         ParamSpec("kind_sel", "choice", "all", choices=("all", "mode"), help="ENN rule.")),
        uses_targets=True,
        k_param="k_neighbors",
        imblearn="imblearn.combine:SMOTEENN",
        reference="Batista et al. 2004",
    ),
    StrategySpec(
        "smote_tomek",
        "SMOTE + Tomek links",
        "combined",
        "SMOTE, then removal of Tomek links over every class.",
        (_k(),),
        uses_targets=True,
        k_param="k_neighbors",
        imblearn="imblearn.combine:SMOTETomek",
        reference="Batista et al. 2003",
    ),
    StrategySpec(
        "isolation_forest",
        "Isolation Forest outliers",
        "outlier",
        "Per class, remove the rows an Isolation Forest finds most isolated.",
        (_CONTAMINATION, ParamSpec("n_estimators", "int", 100, 10, 1000, help="Trees."), _MIN_CLASS_ROWS),
        imblearn="sklearn.ensemble:IsolationForest",
        reference="Liu et al. 2008",
    ),
    StrategySpec(
        "lof",
        "Local outlier factor",
        "outlier",
        "Per class, remove rows whose local density is much lower than their neighbours'.",
        (ParamSpec("n_neighbors", "int", 20, 1, 500, help="Neighbours (lowered to rows - 1 in small classes)."), _CONTAMINATION, _MIN_CLASS_ROWS),
        imblearn="sklearn.neighbors:LocalOutlierFactor",
        reference="Breunig et al. 2000",
    ),
    StrategySpec(
        "centroid_distance",
        "Distance to class centroid",
        "outlier",
        "Per class, remove rows far from the class mean: robust z-score of the distance above the threshold "
        "(median / 1.4826 MAD), or above the threshold quantile of the distances.",
        (
            ParamSpec("mode", "choice", "robust_z", choices=("robust_z", "quantile"), help="How the threshold reads."),
            ParamSpec("threshold", "float", 3.5, 0.0, 100.0, help="robust_z: z above which a row goes (e.g. 3.5); quantile: in (0, 1), e.g. 0.95."),
            _MIN_CLASS_ROWS,
        ),
    ),
    StrategySpec(
        "balanced_weights",
        "Balanced class weights",
        "reweight",
        "Keep every row; weight each row n / (classes x class rows), as scikit-learn's class_weight='balanced'.",
        imblearn="sklearn.utils.class_weight:compute_sample_weight",
    ),
    StrategySpec(
        "effective_number_weights",
        "Effective-number weights",
        "reweight",
        "Keep every row; weight each class by (1 - beta) / (1 - beta^rows), normalized to mean 1 over rows "
        "(Cui et al. 2019).",
        (ParamSpec("beta", "float", 0.999, 0.0, 0.999999, help="Closer to 1 = closer to inverse frequency."),),
        reference="Cui et al. 2019, Class-Balanced Loss Based on Effective Number of Samples",
    ),
)

#: Every strategy by name.
REGISTRY: dict[str, StrategySpec] = {s.name: s for s in _SPECS}


def get_spec(name: str) -> StrategySpec:
    """The spec of one strategy (ParameterError listing the names when unknown)."""
    try:
        return REGISTRY[str(name).strip()]
    except KeyError:
        raise ParameterError(
            f"There is no strategy named {name!r}.",
            hint=f"Strategies: {', '.join(REGISTRY)}; join several with '+'.",
        ) from None


def parse_pipeline(text: str) -> tuple[str, ...]:
    """Split ``a+b+c`` into strategy names and check the order makes sense.

    Rules: ``none`` stands alone; at most one step makes synthetic rows; a reweighting step comes
    last; no step appears twice.

    Raises
    ------
    ParameterError
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(f"Strategy {text!r} is empty.", hint=f"Strategies: {', '.join(REGISTRY)}.")
    names = tuple(p.strip() for p in text.strip().split("+"))
    specs = [get_spec(n) for n in names]
    if len(names) > 1:
        if "none" in names:
            raise ParameterError(f"Pipeline {text!r}: 'none' cannot be combined with other steps.")
        if len(set(names)) != len(names):
            raise ParameterError(f"Pipeline {text!r} names a step twice.")
        if sum(s.generates for s in specs) > 1:
            raise ParameterError(
                f"Pipeline {text!r} has {sum(s.generates for s in specs)} steps that make synthetic rows; at most one is allowed."
            )
        for s in specs[:-1]:
            if s.family == "reweight":
                raise ParameterError(f"Pipeline {text!r}: the reweighting step {s.name!r} must come last.")
    return names


def validate_params(name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check and complete parameters.

    Parameters
    ----------
    name : str
        A strategy or a pipeline (``a+b``).
    params : mapping, optional
        For one strategy ``{param: value}``. For a pipeline ``{step: {param: value}}`` or dotted
        keys ``{"step.param": value}``.

    Returns
    -------
    dict
        Defaults filled in and values coerced; for a pipeline ``{step: {...}}`` for every step.

    Raises
    ------
    ParameterError
        Unknown parameter, wrong type or value out of range (naming the allowed range).
    """
    names = parse_pipeline(name)
    params = dict(params or {})
    if len(names) == 1 and not any(k in names for k in params) and not any("." in str(k) for k in params):
        return _validate_one(names[0], params)
    per_step: dict[str, dict] = {n: {} for n in names}
    for key, value in params.items():
        key = str(key)
        if key in per_step:
            if not isinstance(value, Mapping):
                raise ParameterError(f"Parameters of step {key!r} must be a mapping, got {value!r}.")
            per_step[key].update(value)
        elif "." in key:
            step, pname = key.split(".", 1)
            if step not in per_step:
                raise ParameterError(f"{key!r} names step {step!r}, which is not in the pipeline {name!r}.")
            per_step[step][pname] = value
        else:
            owners = [n for n in names if any(p.name == key for p in REGISTRY[n].params)]
            if len(owners) != 1:
                raise ParameterError(
                    f"Parameter {key!r} is {'ambiguous' if owners else 'unknown'} in pipeline {name!r}.",
                    hint="Write it as STEP.PARAM, e.g. smote.k_neighbors=3.",
                )
            per_step[owners[0]][key] = value
    out = {n: _validate_one(n, p) for n, p in per_step.items()}
    return out[names[0]] if len(names) == 1 else out


def _validate_one(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    spec = get_spec(name)
    out = spec.defaults()
    for key, value in params.items():
        out[key] = spec.param(str(key)).coerce(value, strategy=name)
    if name == "centroid_distance" and out["mode"] == "quantile" and not 0 < out["threshold"] < 1:
        raise ParameterError(
            f"centroid_distance: threshold={out['threshold']:g} with mode 'quantile' must lie in (0, 1), e.g. 0.95.",
        )
    return out


# --------------------------------------------------------------------------------------------- code


_SEEDED = frozenset({
    "random_over", "smote", "borderline_smote", "svm_smote", "kmeans_smote", "adasyn", "smote_nc",
    "random_under", "oss", "cluster_centroids", "smote_enn", "smote_tomek",
})


def _fmt(value: Any) -> str:
    return repr(value)


def _targets_code(target: TargetSpec, family: str) -> list[str]:
    """Lines that set ``sampling_strategy`` (and maybe cap the head first) for a target."""
    if target.kind in ("auto", "balanced"):
        return ['sampling_strategy = "auto"']
    lines = ["counts = Counter(y)"]
    if target.kind == "floor":
        lines.append(f"wanted = {{c: max(n, {target.floor}) for c, n in counts.items()}}")
    elif target.kind == "cap":
        lines.append(f"wanted = {{c: min(n, {target.cap}) for c, n in counts.items()}}")
    elif target.kind == "hybrid":
        lines.append(f"wanted = {{c: min(max(n, {target.floor}), {target.cap}) for c, n in counts.items()}}")
    else:
        lines.append(f"wanted = {{**counts, **{dict(target.table)!r}}}")
    if family in GENERATING:
        lines += [
            "# head cap: randomly under-sample classes asked to shrink",
            "shrink = {c: w for c, w in wanted.items() if w < counts[c]}",
            "if shrink:",
            "    X, y = RandomUnderSampler(sampling_strategy=shrink, random_state=SEED).fit_resample(X, y)",
            "sampling_strategy = {c: w for c, w in wanted.items() if w > counts[c]}",
        ]
    else:
        lines.append("sampling_strategy = {c: w for c, w in wanted.items() if w < counts[c]}")
    return lines


def _step_code(name: str, params: Mapping[str, Any], target: TargetSpec) -> list[str]:
    spec = REGISTRY[name]
    p = dict(params)
    if spec.family == "baseline":
        return ["# no resampling: X, y stay as they are"]
    if spec.family == "reweight":
        if name == "balanced_weights":
            return ['sample_weight = compute_sample_weight("balanced", y)']
        return [
            "counts = Counter(y)",
            f"beta = {p['beta']!r}",
            "class_w = {c: (1 - beta) / (1 - beta ** n) for c, n in counts.items()}",
            "sample_weight = np.array([class_w[c] for c in y])",
            "sample_weight /= sample_weight.mean()",
        ]
    if spec.family == "outlier":
        guard = p.pop("min_class_rows")
        if name == "isolation_forest":
            make = f"IsolationForest(n_estimators={p['n_estimators']}, contamination={p['contamination']!r}, random_state=SEED)"
            flag = "est.fit_predict(Xc) == -1"
        elif name == "lof":
            make = f"LocalOutlierFactor(n_neighbors=min({p['n_neighbors']}, len(idx) - 1), contamination={p['contamination']!r})"
            flag = "est.fit_predict(Xc) == -1"
        else:
            make = None
            if p["mode"] == "robust_z":
                flag = (
                    "(lambda d: (d - np.median(d)) / (1.4826 * np.median(np.abs(d - np.median(d))) or np.inf))"
                    f"(np.linalg.norm(Xc - Xc.mean(axis=0), axis=1)) > {p['threshold']!r}"
                )
            else:
                flag = (
                    "(lambda d: d > np.quantile(d, "
                    f"{p['threshold']!r}))(np.linalg.norm(Xc - Xc.mean(axis=0), axis=1))"
                )
        lines = ["keep = np.ones(len(y), dtype=bool)", "for c in np.unique(y):", "    idx = np.flatnonzero(y == c)",
                 f"    if len(idx) < max({guard}, 2):  # tail guard", "        continue", "    Xc = X[idx]"]
        if make:
            lines.append(f"    est = {make}")
        lines += [f"    keep[idx[{flag}]] = False", "X, y = X[keep], y[keep]"]
        return lines
    cls = spec.imblearn.split(":")[1]
    kwargs: dict[str, Any] = {}
    if name == "random_over":
        if p["shrinkage"] > 0:
            kwargs["shrinkage"] = p["shrinkage"]
    elif name == "kmeans_smote":
        kwargs["k_neighbors"] = p["k_neighbors"]
        kwargs["kmeans_estimator"] = f"MiniBatchKMeans(n_clusters={p['n_clusters']}, n_init=1, random_state=SEED)"
        kwargs["cluster_balance_threshold"] = p["cluster_balance_threshold"] or "auto"
    elif name in ("smote_enn", "smote_tomek"):
        kwargs["smote"] = f"SMOTE(k_neighbors={p['k_neighbors']}, random_state=SEED)"
        if name == "smote_enn":
            kwargs["enn"] = f"EditedNearestNeighbours(sampling_strategy='all', n_neighbors={p['n_neighbors']}, kind_sel={p['kind_sel']!r})"
        else:
            kwargs["tomek"] = "TomekLinks(sampling_strategy='all')"
    elif name == "smote_nc":
        kwargs["categorical_features"] = "CATEGORICAL_COLUMNS"
        kwargs["k_neighbors"] = p["k_neighbors"]
    elif name == "cluster_centroids":
        kwargs["voting"] = "hard"
    else:
        for key, value in p.items():
            if key == "classes":
                kwargs["sampling_strategy"] = value
            else:
                kwargs[key] = value
    lines: list[str] = []
    if spec.uses_targets:
        lines += _targets_code(target, spec.family)
        kwargs["sampling_strategy"] = "sampling_strategy"
    if name in _SEEDED:
        kwargs["random_state"] = "SEED"
    code_args = ", ".join(
        f"{k}={v}" if (isinstance(v, str) and (v in ("SEED", "sampling_strategy", "CATEGORICAL_COLUMNS") or "(" in v)) else f"{k}={_fmt(v)}"
        for k, v in kwargs.items()
    )
    lines.append(f"X, y = {cls}({code_args}).fit_resample(X, y)")
    return lines


def code_snippet(
    name: str, params: Mapping[str, Any] | None = None, target: str | TargetSpec = "auto", seed: int = 0
) -> str:
    """A runnable imbalanced-learn / scikit-learn snippet doing what the strategy does.

    The snippet expects ``X`` (2-D float array, the feature matrix) and ``y`` (1-D array of class
    names) and leaves the resampled ``X``, ``y`` (and ``sample_weight`` for reweighting).
    Skewlab's own SMOTE reproduces imbalanced-learn's draws; provenance and the small-class
    choices are Skewlab's and are not in the snippet.
    """
    names = parse_pipeline(name)
    checked = validate_params(name, params)
    per_step = {names[0]: checked} if len(names) == 1 else checked
    tgt = coerce_target(target)
    body: list[str] = []
    for step in names:
        body.append(f"# step: {REGISTRY[step].label}")
        body += _step_code(step, per_step[step], tgt)
    head = [
        f"# Skewlab strategy {name!r}, target {tgt.to_text()!r}, seed {seed}",
        "# X: 2-D float array of features, y: 1-D array of class names",
        "from collections import Counter",
        "",
        "import numpy as np",
        "from imblearn.combine import SMOTEENN, SMOTETomek",
        "from imblearn.over_sampling import ADASYN, SMOTE, SMOTENC, SVMSMOTE, BorderlineSMOTE, KMeansSMOTE, RandomOverSampler",
        "from imblearn.under_sampling import (ClusterCentroids, EditedNearestNeighbours, NearMiss,",
        "    NeighbourhoodCleaningRule, OneSidedSelection, RandomUnderSampler, TomekLinks)",
        "from sklearn.cluster import MiniBatchKMeans",
        "from sklearn.ensemble import IsolationForest",
        "from sklearn.neighbors import LocalOutlierFactor",
        "from sklearn.utils.class_weight import compute_sample_weight",
        "",
        f"SEED = {int(seed)}",
        "y = np.asarray(y)",
    ]
    if "smote_nc" in names:
        head.append("CATEGORICAL_COLUMNS = [...]  # positions of the categorical columns in X")
    return "\n".join(head + body) + "\n"


def strategies_table() -> list[dict[str, Any]]:
    """The registry as plain dicts (for ``python -m core strategies --format json`` and forms)."""
    out = []
    for s in REGISTRY.values():
        out.append(
            {
                "name": s.name,
                "label": s.label,
                "family": s.family,
                "summary": s.summary,
                "uses_targets": s.uses_targets,
                "k_param": s.k_param,
                "imblearn": s.imblearn,
                "reference": s.reference,
                "params": [
                    {"name": p.name, "kind": p.kind, "default": p.default, "low": p.low, "high": p.high,
                     "choices": list(p.choices), "help": p.help}
                    for p in s.params
                ],
            }
        )
    return out
