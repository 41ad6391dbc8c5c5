"""A user's file: `mypy --strict` must accept it (checked by tests/test_typing.py)."""

from __future__ import annotations

import tokenizer_rs
from tokenizer_rs import Encoding

enc: Encoding = tokenizer_rs.get_encoding("cl100k_base")
tokens: list[int] = enc.encode("hello <|endoftext|>", allowed_special="all")
ordinary: list[int] = enc.encode_ordinary("hello")
text: str = enc.decode(tokens)
raw: bytes = enc.decode_bytes(tokens)
n: int = tokenizer_rs.count_tokens("hello", "gpt-4o")
counts: list[int] = tokenizer_rs.count_tokens_batch(["a", "b"], "gpt-4o")
name: str = tokenizer_rs.encoding_name_for_model("gpt-4o")
other: Encoding = tokenizer_rs.encoding_for_model("gpt-4")
offsets: tuple[str, list[int]] = enc.decode_with_offsets(tokens)
size: int = enc.n_vocab + enc.count("x") + sum(enc.count_batch(["y"]))
tokenizer_rs.init_thread_pool(2)
names: list[str] = tokenizer_rs.list_encoding_names()
special: set[str] = enc.special_tokens_set
