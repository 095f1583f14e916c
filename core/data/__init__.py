"""A catalog as data: loading (:mod:`~core.data.io`), column roles and labels (:mod:`~core.data.schema`),
class skew (:mod:`~core.data.skew`) and the feature space every strategy works on (:mod:`~core.data.features`)."""

from core.data.features import (
    MAX_CATEGORIES,
    MISSING,
    OTHER,
    TEXT_BLOCK_VARIANCE,
    TEXT_DIM,
    FeatureConfig,
    FeatureSpace,
    TextEncoder,
    TfidfSvdEncoder,
    build_features,
)
from core.data.io import (
    DELIMITER_NAMES,
    DELIMITERS,
    SAMPLE_ATTRIBUTION,
    SAMPLE_LABEL,
    SAMPLE_PATH,
    LoadedTable,
    decode_text,
    fingerprint,
    human_bytes,
    load_table,
    sniff_delimiter,
    zip_members,
)
from core.data.leakage import MAX_COLUMNS as LEAK_MAX_COLUMNS
from core.data.leakage import Leak, find_leaks
from core.data.schema import (
    FEATURE_ROLES,
    LEVEL,
    MISSING_TOKENS,
    PATH_SEPARATORS,
    ROLES,
    ColumnInfo,
    Role,
    describe_columns,
    detect_separator,
    feature_columns,
    infer_roles,
    is_missing_label,
    label_values,
    multi_valued_share,
    parse_numeric,
    path_depth,
    suggest_label,
)
from core.data.skew import (
    GROUP_BOUND,
    GROUPS,
    HEAD_MIN,
    K_NEIGHBORS,
    K_RANGE,
    TAIL_MAX,
    SkewProfile,
    check_bounds,
    gini,
    group_for_count,
    profile_counts,
    profile_skew,
)

__all__ = [
    "DELIMITERS", "DELIMITER_NAMES", "FEATURE_ROLES", "GROUPS", "GROUP_BOUND", "HEAD_MIN", "K_NEIGHBORS", "K_RANGE",
    "LEAK_MAX_COLUMNS", "LEVEL", "Leak", "MAX_CATEGORIES", "MISSING", "MISSING_TOKENS", "OTHER", "PATH_SEPARATORS", "ROLES", "SAMPLE_ATTRIBUTION",
    "SAMPLE_LABEL", "SAMPLE_PATH", "TAIL_MAX", "TEXT_BLOCK_VARIANCE", "TEXT_DIM", "ColumnInfo", "FeatureConfig", "find_leaks",
    "FeatureSpace", "LoadedTable", "Role", "SkewProfile", "TextEncoder", "TfidfSvdEncoder", "build_features",
    "check_bounds", "decode_text", "describe_columns", "detect_separator", "feature_columns", "fingerprint", "gini",
    "group_for_count", "human_bytes", "infer_roles", "is_missing_label", "label_values", "load_table",
    "multi_valued_share", "parse_numeric", "path_depth", "profile_counts", "profile_skew", "sniff_delimiter",
    "suggest_label", "zip_members",
]
