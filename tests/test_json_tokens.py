"""count_json_tokens (exact, against PyPI tiktoken) and estimate_json_tokens (close, fast)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokenizer_rs
from tokenizer_rs import count_json_tokens, estimate_json_tokens

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLES: list[Any] = json.loads((FIXTURES / "json_samples.json").read_text(encoding="utf-8"))
MODELS = ["gpt-4", "gpt-4o", "r50k_base", "p50k_base"]


def reference_encoding(model: str) -> tiktoken.Encoding:
    ours = tokenizer_rs.get_encoding(model) if model in tokenizer_rs.list_encoding_names() else tokenizer_rs.encoding_for_model(model)
    return tiktoken.Encoding(
        name=f"reference-{ours.name}",
        pat_str=ours._pat_str,
        mergeable_ranks=ours._mergeable_ranks,
        special_tokens=ours._special_tokens,
    )


REFERENCES = {model: reference_encoding(model) for model in MODELS}


def arg(value: Any) -> Any:
    """The argument that means `value`: a str argument is JSON text, so a str value is quoted."""
    return json.dumps(value) if isinstance(value, str) else value


def exact(value: Any, model: str, ensure_ascii: bool = False) -> int:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii)
    return len(REFERENCES[model].encode(text, allowed_special="all"))


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_count_is_exact_on_the_fixtures(model: str, ensure_ascii: bool) -> None:
    for sample in SAMPLES:
        expected = exact(sample, model, ensure_ascii)
        assert count_json_tokens(arg(sample), model, ensure_ascii=ensure_ascii) == expected
        # The same value given as JSON text (pretty-printed: the compact form is counted).
        assert count_json_tokens(json.dumps(sample, indent=2), model, ensure_ascii=ensure_ascii) == expected


def test_ensure_ascii_defaults_to_false() -> None:
    value = {"zh": "你好，世界", "emoji": "🙂"}
    assert count_json_tokens(value, "gpt-4o") == exact(value, "gpt-4o", ensure_ascii=False)
    assert count_json_tokens(value, "gpt-4o", ensure_ascii=True) > count_json_tokens(value, "gpt-4o")


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4o"])
def test_estimate_is_within_ten_percent_on_the_fixtures(model: str) -> None:
    total_exact = total_estimate = 0
    for sample in SAMPLES:
        truth = exact(sample, model)
        estimate = estimate_json_tokens(arg(sample), model)
        assert abs(estimate - truth) <= 0.10 * truth, (json.dumps(sample)[:60], estimate, truth)
        assert estimate_json_tokens(json.dumps(sample), model) == estimate
        total_exact += truth
        total_estimate += estimate
    assert abs(total_estimate - total_exact) <= 0.05 * total_exact


def test_scalars_and_empty_containers_are_exact() -> None:
    for value in [None, True, False, 0, -17, 3.5, [], {}, ["a plain string"]]:
        assert estimate_json_tokens(value, "gpt-4o") == exact(value, "gpt-4o")
    # A str is JSON text: a JSON string literal is a string value.
    assert estimate_json_tokens('"a plain string"', "gpt-4o") == exact("a plain string", "gpt-4o")


def test_a_str_that_is_not_json_says_so() -> None:
    with pytest.raises(ValueError, match="read as JSON text.*count_tokens"):
        estimate_json_tokens("a plain string", "gpt-4o")


def test_keys_are_written_as_json_dumps_writes_them() -> None:
    value = {1: "int", 2.5: "float", True: "bool", None: "none", "s": "str", -3: [1, 2]}
    for model in MODELS:
        assert count_json_tokens(value, model) == exact(value, model)


def test_python_specific_values() -> None:
    value = {
        "tuple": (1, 2, (3,)),
        "big": 2**100,
        "negative_big": -(2**80),
        "u64": 2**64 - 1,
        "floats": [1e16, 1e-5, 0.1, -0.0, 1.5e300, 5e-324, float("inf"), float("-inf")],
        "nested": [[[]], {}],
    }
    for model in MODELS:
        assert count_json_tokens(value, model) == exact(value, model)
    nan = {"x": float("nan")}
    assert count_json_tokens(nan, "gpt-4o") == exact(nan, "gpt-4o")


@pytest.mark.parametrize(
    "value, error",
    [
        ({1, 2}, TypeError),
        (b"bytes", TypeError),
        (object(), TypeError),
        ({(1, 2): "tuple key"}, TypeError),
        ([1, {"a": object()}], TypeError),
        ("{not json", ValueError),
        ("", ValueError),
        ("[1, 2,]", ValueError),
    ],
)
def test_bad_values(value: Any, error: type) -> None:
    with pytest.raises(error):
        estimate_json_tokens(value, "gpt-4o")
    with pytest.raises(error):
        count_json_tokens(value, "gpt-4o")


def test_circular_and_very_deep_values_are_value_errors() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError):
        count_json_tokens(loop, "gpt-4o")
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError):
        estimate_json_tokens(deep, "gpt-4o")
    with pytest.raises(ValueError):
        estimate_json_tokens("[" * 5000 + "]" * 5000, "gpt-4o")


def test_unknown_model() -> None:
    with pytest.raises(KeyError):
        estimate_json_tokens({}, "no-such-model")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6),
    max_leaves=30,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.sampled_from(MODELS), st.booleans())
def test_count_is_exact_on_random_values(value: Any, model: str, ensure_ascii: bool) -> None:
    assert count_json_tokens(arg(value), model, ensure_ascii=ensure_ascii) == exact(value, model, ensure_ascii)
    estimate = estimate_json_tokens(arg(value), model)
    assert estimate >= 1
    if survives_json_text(value):
        text = json.dumps(value)
        assert estimate_json_tokens(text, model) == estimate
        assert count_json_tokens(text, model, ensure_ascii=ensure_ascii) == exact(value, model, ensure_ascii)


def survives_json_text(value: Any) -> bool:
    """JSON text is read as standard JSON: no NaN/Infinity, and integers beyond 64 bits become
    floats (as serde_json reads them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    if isinstance(value, list):
        return all(survives_json_text(v) for v in value)
    if isinstance(value, dict):
        return all(survives_json_text(v) for v in value.values())
    return True


@settings(deadline=None)
@given(st.floats(allow_nan=False))
def test_floats_are_written_like_python(value: float) -> None:
    assert count_json_tokens([value], "gpt-4o") == exact([value], "gpt-4o")
    assert not math.isnan(value)
