"""Every example in the package's docstrings runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tokenizer_rs

MODULES = sorted(
    ["tokenizer_rs", "tokenizer_rs._native"]
    + [f"tokenizer_rs.{m.name}" for m in pkgutil.iter_modules(tokenizer_rs.__path__) if m.name != "__main__"]
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    namespace = {name: getattr(tokenizer_rs, name) for name in tokenizer_rs.__all__}
    namespace["tokenizer_rs"] = tokenizer_rs
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs=namespace):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_public_functions_have_examples() -> None:
    missing = []
    for name in tokenizer_rs.__all__:
        obj = getattr(tokenizer_rs, name)
        if callable(obj) and not isinstance(obj, type) and ">>>" not in (obj.__doc__ or ""):
            missing.append(name)
    assert missing == []
