"""Over-sampling then cleaning in one step: SMOTE + ENN and SMOTE + Tomek links.

The cleaning runs over every class after SMOTE, as imbalanced-learn's SMOTEENN / SMOTETomek do;
synthetic rows it removes just disappear. The cleaning keeps the tail guard of the cleaners
(``min_class_rows``, :data:`core.strategies.clean.TAIL_GUARD`): it counts real rows, so a class
keeps ``min(its real rows, min_class_rows)`` real rows whatever SMOTE added; 0 turns it off.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from core.strategies.clean import TAIL_GUARD, Rule, clean, enn_rule, tomek_rule
from core.strategies.over import k_param, oversample, smote_rows
from core.strategies.spec import Code, ParamSpec, StrategySpec, register
from core.strategies.state import Ctx, State

__all__: list[str] = []


def _smote_then(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, *, rule: Rule,
                rule_params: tuple[str, ...]) -> dict[str, int]:
    targets = oversample(state, spec, p, ctx, generate=smote_rows)
    clean(state, ctx, rule, {name: p[name] for name in rule_params}, classes_choice="all",
          floor=int(p[TAIL_GUARD.name]), label=spec.label)
    return targets


register(StrategySpec(
    "smote_enn",
    "SMOTE + ENN",
    "combined",
    "SMOTE, then edited nearest neighbours over every class (synthetic rows it removes just disappear).",
    (k_param(), ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours of the ENN cleaning."),
     ParamSpec("kind_sel", "choice", "all", choices=("all", "mode"), help="ENN rule."), TAIL_GUARD),
    uses_targets=True,
    k_param="k_neighbors",
    imblearn="imblearn.combine:SMOTEENN",
    reference="Batista et al. 2004",
    runner=partial(_smote_then, rule=enn_rule, rule_params=("n_neighbors", "kind_sel")),
    seeded=True,
    snippet_kwargs=lambda p: {
        "smote": Code(f"SMOTE(k_neighbors={p['k_neighbors']}, random_state=SEED)"),
        "enn": Code(f"EditedNearestNeighbours(sampling_strategy='all', n_neighbors={p['n_neighbors']}, kind_sel={p['kind_sel']!r})"),
    },
    snippet_imports=("imblearn.over_sampling:SMOTE", "imblearn.under_sampling:EditedNearestNeighbours"),
))
register(StrategySpec(
    "smote_tomek",
    "SMOTE + Tomek links",
    "combined",
    "SMOTE, then removal of Tomek links over every class.",
    (k_param(), TAIL_GUARD),
    uses_targets=True,
    k_param="k_neighbors",
    imblearn="imblearn.combine:SMOTETomek",
    reference="Batista et al. 2003",
    runner=partial(_smote_then, rule=tomek_rule, rule_params=()),
    seeded=True,
    snippet_kwargs=lambda p: {
        "smote": Code(f"SMOTE(k_neighbors={p['k_neighbors']}, random_state=SEED)"),
        "tomek": Code("TomekLinks(sampling_strategy='all')"),
    },
    snippet_imports=("imblearn.over_sampling:SMOTE", "imblearn.under_sampling:TomekLinks"),
))
