"""plan.json: the plan document, written the same way by the API and the CLI."""

from __future__ import annotations

import json
import math
from typing import Any


def _round(x: Any, digits: int) -> Any:
    if isinstance(x, bool) or x is None or isinstance(x, str | int):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        if x == 0.0:
            return 0.0
        return float(f"{x:.{digits}g}")
    if isinstance(x, dict):
        return {str(k): _round(v, digits) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_round(v, digits) for v in x]
    if hasattr(x, "item"):  # numpy scalar
        return _round(x.item(), digits)
    if hasattr(x, "tolist"):  # numpy array
        return _round(x.tolist(), digits)
    msg = f"cannot write {type(x).__name__} to JSON"
    raise TypeError(msg)


def canonical_json(doc: Any, *, digits: int = 6) -> str:
    r"""
    JSON with sorted keys and floats rounded to ``digits`` significant digits.

    Rounding makes the file independent of the last bits of floating-point sums
    (thread scheduling can reorder them), so the same plan is the same bytes.

    Examples
    --------
    >>> canonical_json({"b": 1 / 3, "a": [2.0, float("nan")]})
    '{\\n  "a": [\\n    2.0,\\n    null\\n  ],\\n  "b": 0.333333\\n}\\n'
    """
    return json.dumps(_round(doc, digits), sort_keys=True, indent=2) + "\n"
