"""Every construct translation knows, in one list: what is not listed here is refused.

The registry the translator reads is assembled from this tuple at import, and refuses
duplicates (registry.py). The order is the order in which a node's fix-ups run: numeric_exact
comes first, because for an output it marks (avg, numeric division, a numeric literal) its
rewrite replaces the general fix-up of the node's class; structure's repair of a SELECT
without FROM runs before DISTINCT ON's.
"""

from __future__ import annotations

from pgbridge.sql.translate.constructs import (
    aggregates,
    arithmetic,
    array_agg,
    array_ops,
    arrays,
    avg_compare,
    bitwise,
    casts,
    conditional,
    constants,
    date_arithmetic,
    dates,
    distinct_on,
    intervals,
    json_build,
    json_ops,
    lateral,
    make_timestamp,
    math_functions,
    numeric_exact,
    ordered_set,
    ordering,
    patterns,
    predicates,
    regex,
    set_operations,
    strings,
    structure,
    to_char,
    to_timestamp,
    trigonometry,
    unnest,
    windows,
)
from pgbridge.sql.translate.registry import Construct, Registry, assemble

CONSTRUCTS: tuple[Construct, ...] = (
    numeric_exact.construct,
    structure.construct,
    set_operations.construct,
    ordering.construct,
    constants.construct,
    intervals.construct,
    arithmetic.construct,
    date_arithmetic.construct,
    avg_compare.construct,
    predicates.construct,
    patterns.construct,
    regex.construct,
    conditional.construct,
    aggregates.construct,
    ordered_set.construct,
    windows.construct,
    math_functions.construct,
    trigonometry.construct,
    bitwise.construct,
    strings.construct,
    dates.construct,
    arrays.construct,
    array_ops.construct,
    casts.construct,
    distinct_on.construct,
    array_agg.construct,
    json_build.construct,
    json_ops.construct,
    to_char.construct,
    to_timestamp.construct,
    make_timestamp.construct,
    lateral.construct,
    unnest.construct,
)

REGISTRY: Registry = assemble(CONSTRUCTS)
