"""How far `estimate_json_tokens` is from the exact count on the JSON fixtures, per encoding
(the README's table):

    python benches/json_estimate_errors.py
"""

from __future__ import annotations

import json
from pathlib import Path

import tokenizer_rs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def main() -> None:
    samples = json.loads((FIXTURES / "json_samples.json").read_text(encoding="utf-8"))
    values = [json.dumps(s) if isinstance(s, str) else s for s in samples]  # a str is JSON text
    for model in ("gpt-4", "gpt-4o", "r50k_base", "p50k_base"):
        exact = [tokenizer_rs.count_json_tokens(v, model) for v in values]
        estimate = [tokenizer_rs.estimate_json_tokens(v, model) for v in values]
        errors = [abs(e - t) / t for e, t in zip(estimate, exact)]
        total = (sum(estimate) - sum(exact)) / sum(exact)
        print(f"{model}: {len(values)} fixtures, max {max(errors):.1%}, "
              f"mean {sum(errors) / len(errors):.1%}, total {total:+.2%}")


if __name__ == "__main__":
    main()
