"""zstd payloads: round trips, interop (python-zstandard, the zstd tool), bad input, bounded memory.

No timings are asserted: machines are shared. The decompression bomb and the CLI streaming test
measure peak memory in a subprocess (ru_maxrss), which does not depend on machine speed.
"""

from __future__ import annotations

import array
import doctest
import io
import json
import os
import pickle
import random
import shutil
import struct
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

import tokenizer_rs
from tokenizer_rs import (
    DEFAULT_MAX_OUTPUT_SIZE,
    CompressionError,
    ZstdCompressor,
    ZstdDecompressor,
    compress_payload,
    compress_payload_batch,
    decompress_payload,
    decompress_payload_batch,
    train_dictionary,
)

ZSTD = shutil.which("zstd") or ""
needs_zstd_tool = pytest.mark.skipif(not ZSTD, reason="the zstd command-line tool is not installed")
MiB = 1 << 20
SKIPPABLE_MAGIC = 0x184D2A50


def text(size: int, seed: int = 0) -> bytes:
    """Deterministic text-like bytes (compressible about 3x, like prose)."""
    rnd = random.Random(seed)
    words = [bytes(rnd.choices(b"etaoinshrdlucmfwypvbgkjqxz", k=rnd.randint(1, 9))) for _ in range(3000)]
    out = bytearray()
    while len(out) < size:
        out += b" ".join(rnd.choices(words, k=12)) + b".\n"
    return bytes(out[:size])


def chat_messages(count: int, seed: int = 0) -> list[bytes]:
    """Chat-sized JSON messages (about 200-800 bytes), as an agent would store them."""
    rnd = random.Random(seed)
    vocab = (
        "the a to of and please file error function return value list model context message "
        "tool call result summary python rust token budget assistant user test build run"
    ).split()
    messages = []
    for i in range(count):
        content = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(25, 120)))
        message: dict[str, object] = {"id": f"msg_{i:06d}", "role": rnd.choice(["user", "assistant", "tool"]), "content": content}
        if rnd.random() < 0.3:
            message["tool_calls"] = [{"id": f"call_{i}", "type": "function", "function": {"name": "read_file", "arguments": json.dumps({"path": f"src/{rnd.choice(vocab)}.py"})}}]
        messages.append(json.dumps(message).encode())
    return messages


def skippable_frame(payload: bytes, variant: int = 0) -> bytes:
    return struct.pack("<II", SKIPPABLE_MAGIC + variant, len(payload)) + payload


def fcs_field(frame: bytes) -> tuple[int, int]:
    """(offset, length) of the Frame_Content_Size field of a zstd frame header."""
    descriptor = frame[4]
    fcs_flag, single_segment, dict_flag = descriptor >> 6, (descriptor >> 5) & 1, descriptor & 3
    offset = 5 + (0 if single_segment else 1) + [0, 1, 2, 4][dict_flag]
    length = [1 if single_segment else 0, 2, 4, 8][fcs_flag]
    return offset, length


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [-131072, -5, -1, 0, 1, 3, 9, 19, 22])
@pytest.mark.parametrize("size", [0, 1, 1000, 300_000])
def test_round_trip_levels_and_sizes(level: int, size: int) -> None:
    if level >= 19 and size > 1000:
        size = 50_000  # the slowest levels on less data: same code paths, quicker suite
    data = text(size)
    frame = compress_payload(data, level)
    assert decompress_payload(frame) == data
    params = zstandard.get_frame_parameters(frame)
    assert params.content_size == size and params.has_checksum


def test_round_trip_100_mb() -> None:
    block = text(MiB)
    data = block * 100  # compressible, so compressing and decompressing take well under a second
    frame = compress_payload(data, 3)
    assert len(frame) < len(data) // 50
    assert decompress_payload(frame, max_output_size=len(data)) == data
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        decompress_payload(frame, max_output_size=len(data) - 1)


def test_bytes_like_inputs() -> None:
    data = text(5000)
    expected = compress_payload(data)
    assert compress_payload(bytearray(data)) == expected
    assert compress_payload(memoryview(data)) == expected
    assert decompress_payload(bytearray(expected)) == data
    assert decompress_payload(memoryview(expected)) == data
    strided = memoryview(data)[::2]  # not contiguous: copied in order
    assert decompress_payload(compress_payload(strided)) == data[::2]
    numbers = array.array("i", range(1000))
    assert decompress_payload(compress_payload(numbers)) == numbers.tobytes()


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=20_000), level=st.integers(-20, 19))
def test_round_trip_property(data: bytes, level: int) -> None:
    assert decompress_payload(compress_payload(data, level)) == data


@settings(max_examples=30, deadline=None)
@given(items=st.lists(st.binary(max_size=5000), max_size=40), level=st.integers(-5, 12))
def test_batch_round_trip_property(items: list[bytes], level: int) -> None:
    frames = compress_payload_batch(items, level)
    assert frames == [compress_payload(item, level) for item in items]
    assert decompress_payload_batch(frames) == items


def test_batch_large_enough_to_run_in_parallel() -> None:
    items = [text(random.Random(i).randint(0, 40_000), seed=i) for i in range(200)]
    frames = compress_payload_batch(items, 3)
    assert decompress_payload_batch(frames) == items
    assert [decompress_payload(frame) for frame in frames] == items


def test_batch_reports_the_first_error_in_input_order() -> None:
    good = compress_payload(text(50_000))
    truncated = good[:-10]
    corrupt = b"not zstd at all" * 100
    items = [good] * 50 + [truncated] + [good] * 50 + [corrupt]
    with pytest.raises(CompressionError, match="truncated"):
        decompress_payload_batch(items)
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        decompress_payload_batch([compress_payload(b"x" * 100), good], max_output_size=1000)
    assert compress_payload_batch([]) == [] and decompress_payload_batch([]) == []
    assert decompress_payload_batch((f for f in [good])) == [text(50_000)]


# --- interop: python-zstandard -------------------------------------------------------------------


@pytest.mark.parametrize("level", [-3, 1, 3, 19])
def test_python_zstandard_reads_ours(level: int) -> None:
    data = text(200_000)
    frame = compress_payload(data, level)
    assert zstandard.ZstdDecompressor().decompress(frame) == data
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(frame))
    assert reader.read() == data


@pytest.mark.parametrize("checksum", [True, False])
@pytest.mark.parametrize("content_size", [True, False])
def test_ours_reads_python_zstandard(checksum: bool, content_size: bool) -> None:
    data = text(300_000)
    compressor = zstandard.ZstdCompressor(level=5, write_checksum=checksum, write_content_size=content_size)
    assert decompress_payload(compressor.compress(data)) == data


def test_frames_without_content_size_streamed() -> None:
    data = text(3 * MiB)
    sink = io.BytesIO()
    with zstandard.ZstdCompressor(level=3).stream_writer(sink, closefd=False) as writer:
        for start in range(0, len(data), 100_000):
            writer.write(data[start : start + 100_000])
    frame = sink.getvalue()
    assert zstandard.get_frame_parameters(frame).content_size == zstandard.CONTENTSIZE_UNKNOWN
    assert decompress_payload(frame) == data
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        decompress_payload(frame, max_output_size=len(data) - 1)
    assert decompress_payload(frame, max_output_size=len(data)) == data


def test_concatenated_and_skippable_frames() -> None:
    a, b, c = text(1000, 1), text(70_000, 2), b""
    theirs = zstandard.ZstdCompressor(write_content_size=False).compress(b)
    stream = skippable_frame(b"metadata") + compress_payload(a) + theirs + skippable_frame(b"", 15) + compress_payload(c)
    assert decompress_payload(stream) == a + b + c
    assert decompress_payload(compress_payload(a) + compress_payload(a, 19)) == a + a
    assert decompress_payload(skippable_frame(b"x" * 100)) == b""
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        decompress_payload(compress_payload(a) * 3, max_output_size=2 * len(a) + 1)


# --- interop: the zstd command-line tool --------------------------------------------------------


@needs_zstd_tool
@pytest.mark.parametrize("level", [1, 3, 19])
def test_zstd_tool_reads_ours(tmp_path: Path, level: int) -> None:
    data = text(500_000)
    path = tmp_path / "data.zst"
    path.write_bytes(compress_payload(data, level))
    assert subprocess.run([ZSTD, "-t", "-q", str(path)], capture_output=True).returncode == 0
    out = subprocess.run([ZSTD, "-d", "-c", str(path)], capture_output=True, check=True).stdout
    assert out == data


@needs_zstd_tool
@pytest.mark.parametrize("args", [["-1"], ["-3"], ["-19"], ["--fast=5"], ["-3", "--no-check"], ["--long=27", "-5"]])
def test_ours_reads_zstd_tool(tmp_path: Path, args: list[str]) -> None:
    data = text(400_000)
    path = tmp_path / "data"
    path.write_bytes(data)
    frame = subprocess.run([ZSTD, *args, "-c", str(path)], capture_output=True, check=True).stdout
    assert decompress_payload(frame) == data
    # Through a pipe the tool cannot know the size: a frame without content size.
    piped = subprocess.run([ZSTD, *args, "-c"], input=data, capture_output=True, check=True).stdout
    assert decompress_payload(piped) == data


@needs_zstd_tool
def test_zstd_tool_concatenated_files(tmp_path: Path) -> None:
    parts = [text(10_000, i) for i in range(3)]
    frames = b"".join(subprocess.run([ZSTD, "-c", "-q"], input=p, capture_output=True, check=True).stdout for p in parts)
    assert decompress_payload(frames) == b"".join(parts)
    ours = b"".join(compress_payload(p) for p in parts)
    assert subprocess.run([ZSTD, "-d", "-c"], input=ours, capture_output=True, check=True).stdout == b"".join(parts)


# --- dictionaries ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def messages() -> list[bytes]:
    return chat_messages(3000)


@pytest.fixture(scope="module")
def our_dict(messages: list[bytes]) -> bytes:
    return train_dictionary(messages[:2500], 16_384)


def test_dictionary_improves_chat_messages(messages: list[bytes], our_dict: bytes) -> None:
    held_out = messages[2500:]
    assert all(150 <= len(m) <= 1200 for m in held_out)
    plain = sum(len(compress_payload(m)) for m in held_out)
    with_dict = sum(len(compress_payload(m, dict=our_dict)) for m in held_out)
    assert with_dict < plain * 0.75
    frames = compress_payload_batch(held_out, dict=our_dict)
    assert frames == [compress_payload(m, dict=our_dict) for m in held_out]
    assert decompress_payload_batch(frames, dict=our_dict) == held_out


def test_dictionary_interop_with_python_zstandard(messages: list[bytes], our_dict: bytes) -> None:
    message = messages[-1]
    their_view = zstandard.ZstdCompressionDict(our_dict)
    ours = compress_payload(message, dict=our_dict)
    assert zstandard.get_frame_parameters(ours).dict_id == their_view.dict_id() != 0
    assert zstandard.ZstdDecompressor(dict_data=their_view).decompress(ours) == message
    theirs = zstandard.ZstdCompressor(dict_data=their_view, write_checksum=True).compress(message)
    assert decompress_payload(theirs, dict=our_dict) == message

    their_dict = zstandard.train_dictionary(8192, list[Any](messages[:2500]))
    frame = zstandard.ZstdCompressor(dict_data=their_dict).compress(message)
    assert decompress_payload(frame, dict=their_dict.as_bytes()) == message
    assert decompress_payload(frame, dict=their_dict) == message  # the object itself works too
    ours = compress_payload(message, 7, dict=their_dict)
    assert zstandard.ZstdDecompressor(dict_data=their_dict).decompress(ours) == message


def test_missing_or_wrong_dictionary_raises(messages: list[bytes], our_dict: bytes) -> None:
    frame = compress_payload(messages[0], dict=our_dict)
    with pytest.raises(CompressionError, match="dictionary"):
        decompress_payload(frame)
    other = train_dictionary(messages[:2000:2] + [m[::-1] for m in messages[:1000]], 8192)
    with pytest.raises(CompressionError, match="dictionary"):
        decompress_payload(frame, dict=other)
    with pytest.raises(CompressionError, match="dictionary"):
        decompress_payload_batch([frame], dict=other)
    # A frame made without a dictionary decodes whatever dictionary is given.
    assert decompress_payload(compress_payload(b"plain"), dict=our_dict) == b"plain"


def test_bad_dictionaries() -> None:
    with pytest.raises(CompressionError, match="dictionary"):
        train_dictionary([b"abc"] * 5)
    with pytest.raises(CompressionError, match="no samples"):
        train_dictionary([])
    with pytest.raises(CompressionError, match="dict_size"):
        train_dictionary([b"abc"] * 1000, 100)
    with pytest.raises(CompressionError, match="dict_size"):
        train_dictionary([b"abc"] * 1000, -1)
    with pytest.raises(TypeError):
        train_dictionary("not a list of bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        train_dictionary([b"ok", "str"])  # type: ignore[list-item]
    with pytest.raises(CompressionError, match="empty"):
        compress_payload(b"data", dict=b"")
    damaged = b"\x37\xa4\x30\xec" + b"\x01\x00\x00\x00" + b"\xff" * 500
    with pytest.raises(CompressionError, match="invalid dictionary"):
        compress_payload(b"data", dict=damaged)
    with pytest.raises(TypeError, match="dict"):
        compress_payload(b"data", dict=123)  # type: ignore[arg-type]
    # Any other bytes are a raw-content dictionary, as zstd treats them.
    prefix = b"shared prefix of many payloads " * 20
    frame = compress_payload(prefix + b"tail", dict=prefix)
    assert decompress_payload(frame, dict=prefix) == prefix + b"tail"


# --- bad input ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=3000))
def test_random_bytes_raise_compression_error(data: bytes) -> None:
    with pytest.raises(CompressionError):
        decompress_payload(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_the_magic_number_never_crash(tail: bytes) -> None:
    try:
        decompress_payload(zstandard.MAGIC_NUMBER.to_bytes(4, "little") + tail, max_output_size=MiB)
    except CompressionError:
        pass


def test_empty_and_truncated_input() -> None:
    with pytest.raises(CompressionError, match="truncated"):
        decompress_payload(b"")
    data = text(20_000)
    frame = compress_payload(data)
    for cut in list(range(1, 40)) + list(range(40, len(frame), 97)) + [len(frame) - 1]:
        with pytest.raises(CompressionError, match="truncated"):
            decompress_payload(frame[:cut])
    streamed = zstandard.ZstdCompressor(write_content_size=False).compress(data)
    with pytest.raises(CompressionError, match="truncated"):
        decompress_payload(streamed[:-1])
    with pytest.raises(CompressionError, match="truncated"):
        decompress_payload(frame + frame[:20])


def test_flipped_bytes_are_caught() -> None:
    data = text(5000)
    frame = compress_payload(data)
    caught_by_checksum = 0
    for position in range(4, len(frame)):
        for bit in (0, 3, 7):
            damaged = bytearray(frame)
            damaged[position] ^= 1 << bit
            try:
                out = decompress_payload(bytes(damaged))
            except CompressionError as error:
                caught_by_checksum += "checksum" in str(error)
                continue
            assert out == data  # never different data
    assert caught_by_checksum > 0
    # The checksum itself.
    damaged = bytearray(frame)
    damaged[-1] ^= 0x10
    with pytest.raises(CompressionError, match="checksum"):
        decompress_payload(bytes(damaged))


def test_header_that_lies_about_content_size() -> None:
    data = text(100_000)
    frame = compress_payload(data)
    offset, length = fcs_field(frame)
    assert length == 4
    for claimed in (len(data) - 1, len(data) + 1, 10, 200 * MiB, 2**32 - 1):
        lying = frame[:offset] + claimed.to_bytes(4, "little") + frame[offset + length :]
        with pytest.raises(CompressionError):
            decompress_payload(lying)
    # A claim over the cap fails at the header, before any decoding.
    lying = frame[:offset] + (2**32 - 1).to_bytes(4, "little") + frame[offset + length :]
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        decompress_payload(lying, max_output_size=10 * MiB)


# Peak memory of the child process from here on. ru_maxrss cannot say it: Linux carries the
# parent's high-water mark into the child across fork and exec. Resetting VmHWM through
# /proc/self/clear_refs starts a fresh peak at the current size.
PEAK_PROBE = textwrap.dedent(
    """
    import resource

    def _status(field):
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])

    def start_peak():
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            return _status("VmRSS")
        except OSError:  # not Linux: ru_maxrss (may include the parent's peak; still an upper bound)
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def peak():
        try:
            return _status("VmHWM")
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    """
)

BOMB_SCRIPT = PEAK_PROBE + textwrap.dedent(
    """
    import json, sys
    import tokenizer_rs
    bomb = open(sys.argv[1], "rb").read()
    mode = sys.argv[2]
    before = start_peak()
    try:
        if mode == "oneshot":
            tokenizer_rs.decompress_payload(bomb, max_output_size=10 * 1024 * 1024)
        else:
            d = tokenizer_rs.ZstdDecompressor(max_output_size=10 * 1024 * 1024)
            for start in range(0, len(bomb), 1 << 20):
                d.decompress(bomb[start:start + (1 << 20)], 1 << 20)
                while not d.needs_input:
                    d.decompress(b"", 1 << 20)
            d.finish()
        error = None
    except tokenizer_rs.CompressionError as e:
        error = str(e)
    print(json.dumps({"error": error, "growth_kib": peak() - before}))
    """
)


@pytest.fixture(scope="module")
def bomb_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """1 GiB of zeros, compressed in 1 MiB chunks (never held in memory), with and without a
    declared content size."""
    folder = tmp_path_factory.mktemp("bombs")
    zeros = bytes(MiB)
    paths = {}
    for name, size in (("streamed", -1), ("declared", 1024 * MiB)):
        sink = io.BytesIO()
        with zstandard.ZstdCompressor(level=1).stream_writer(sink, size=size, closefd=False) as writer:
            for _ in range(1024):
                writer.write(zeros)
        paths[name] = folder / f"{name}.zst"
        paths[name].write_bytes(sink.getvalue())
    return paths


@pytest.mark.parametrize("kind", ["streamed", "declared"])
@pytest.mark.parametrize("mode", ["oneshot", "stream"])
def test_decompression_bomb_is_refused_with_bounded_memory(
    bomb_files: dict[str, Path], kind: str, mode: str
) -> None:
    path = bomb_files[kind]
    assert path.stat().st_size < 2 * MiB  # a real bomb: tiny input, 1 GiB output
    run = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(path), mode], capture_output=True, text=True, check=True)
    report = json.loads(run.stdout)
    assert report["error"] is not None and "exceeds max_output_size" in report["error"]
    # The cap is 10 MiB; the output buffer, zstd's window and the interpreter's noise stay far
    # below the gigabyte the header and the data would produce.
    assert report["growth_kib"] < 100 * 1024, report


def test_bad_types() -> None:
    for bad in ("text", 5, None, [1, 2, 3], 1.5, {"a": 1}):
        with pytest.raises(TypeError, match="bytes-like"):
            compress_payload(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="bytes-like"):
            decompress_payload(bad)  # type: ignore[arg-type]
    bad_lists: tuple[object, ...] = ("text", b"bytes", 5, None, bytearray(b"x"))
    for bad_list in bad_lists:
        with pytest.raises(TypeError, match="list of bytes-like"):
            compress_payload_batch(bad_list)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="list of bytes-like"):
            decompress_payload_batch(bad_list)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes-like"):
        compress_payload_batch([b"ok", "str"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="bytes-like"):
        decompress_payload_batch([compress_payload(b"ok"), None])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        compress_payload()  # type: ignore[call-arg]


@pytest.mark.parametrize("level", [23, 100, -200_000, 2**31, 10**40, -(10**40)])
def test_bad_levels(level: int) -> None:
    for call in (
        lambda: compress_payload(b"x", level),
        lambda: compress_payload_batch([b"x"], level),
        lambda: ZstdCompressor(level),
    ):
        with pytest.raises(CompressionError, match="level") as info:
            call()
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("level", [1.5, "3", None, b"3", [3], True])
def test_non_int_levels(level: object) -> None:
    with pytest.raises(TypeError, match="level"):
        compress_payload(b"x", level)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="level"):
        ZstdCompressor(level)  # type: ignore[arg-type]


@pytest.mark.parametrize("cap", [0, -1, -(2**70)])
def test_bad_max_output_size(cap: int) -> None:
    frame = compress_payload(b"x")
    with pytest.raises(CompressionError, match="max_output_size"):
        decompress_payload(frame, cap)
    with pytest.raises(CompressionError, match="max_output_size"):
        decompress_payload_batch([frame], cap)
    with pytest.raises(CompressionError, match="max_output_size"):
        ZstdDecompressor(cap)
    with pytest.raises(TypeError):
        decompress_payload(frame, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        decompress_payload(frame, 1.5)  # type: ignore[arg-type]
    assert decompress_payload(frame, 2**70) == b"x"  # a cap beyond memory is no cap


def test_defaults_and_errors_are_documented() -> None:
    assert DEFAULT_MAX_OUTPUT_SIZE == 256 * MiB
    assert issubclass(CompressionError, ValueError)
    error = pickle.loads(pickle.dumps(CompressionError("truncated")))
    assert isinstance(error, CompressionError) and str(error) == "truncated"
    # Just over the default cap, declared in the header: refused before decoding.
    sink = io.BytesIO()
    size = DEFAULT_MAX_OUTPUT_SIZE + 1
    with zstandard.ZstdCompressor(level=1).stream_writer(sink, size=size, closefd=False) as writer:
        for start in range(0, size, MiB):
            writer.write(bytes(min(MiB, size - start)))
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        decompress_payload(sink.getvalue())
    assert getattr(compress_payload, "__text_signature__") == "(data, level=3, *, dict=None)"
    assert getattr(decompress_payload, "__text_signature__") == "(data, max_output_size=268435456, *, dict=None)"


@pytest.mark.parametrize(
    "name",
    ["compress_payload", "decompress_payload", "compress_payload_batch", "decompress_payload_batch", "train_dictionary", "ZstdCompressor", "ZstdDecompressor"],
)
def test_docstring_examples_run(name: str) -> None:
    obj = getattr(tokenizer_rs, name)
    assert obj.__doc__ and ">>>" in obj.__doc__
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(obj, name, globs=dict(vars(tokenizer_rs))):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# --- streaming objects ------------------------------------------------------------------------------


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("chunk", [1, 1000, MiB])
def test_stream_round_trip(chunk: int) -> None:
    data = text(600_000 if chunk > 1 else 5000)
    compressor = ZstdCompressor(5)
    frame = b"".join(compressor.compress(p) for p in pieces(data, chunk)) + compressor.flush()
    assert compressor.flush() == b""
    assert zstandard.ZstdDecompressor().decompressobj().decompress(frame) == data
    assert decompress_payload(frame) == data
    decompressor = ZstdDecompressor()
    out = bytearray()
    for p in pieces(frame, chunk):
        out += decompressor.decompress(p, 65536)
        while not decompressor.needs_input:
            out += decompressor.decompress(b"", 65536)
    decompressor.finish()
    assert out == data and decompressor.total_out == len(data)


def test_stream_frames_flush_and_dictionary(messages: list[bytes], our_dict: bytes) -> None:
    compressor = ZstdCompressor(3, dict=our_dict)
    stream = b""
    for message in messages[:10]:
        stream += compressor.compress(message) + compressor.flush()  # one frame per message
    assert decompress_payload(stream, dict=our_dict) == b"".join(messages[:10])
    with pytest.raises(CompressionError, match="dictionary"):
        decompress_payload(stream)
    decompressor = ZstdDecompressor(dict=our_dict)
    assert decompressor.decompress(stream) == b"".join(messages[:10])
    decompressor.finish()
    empty = ZstdCompressor()
    assert decompress_payload(empty.flush()) == b""  # an empty stream is one empty frame


def test_stream_decompressor_errors() -> None:
    frame = compress_payload(text(100_000))
    capped = ZstdDecompressor(max_output_size=150_000)
    capped.decompress(frame)
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        capped.decompress(frame)
    with pytest.raises(CompressionError, match="exceeds max_output_size"):
        capped.decompress(b"")  # errors are final
    truncated = ZstdDecompressor()
    truncated.decompress(frame[:-5])
    with pytest.raises(CompressionError, match="truncated"):
        truncated.finish()
    with pytest.raises(CompressionError, match="empty"):
        ZstdDecompressor().finish()
    corrupt = ZstdDecompressor()
    with pytest.raises(CompressionError, match="corrupt"):
        corrupt.decompress(b"garbage garbage garbage")
    waiting = ZstdDecompressor()
    waiting.decompress(frame, 10)
    assert not waiting.needs_input
    with pytest.raises(CompressionError, match="waiting"):
        waiting.finish()
    with pytest.raises(TypeError, match="bytes-like"):
        ZstdDecompressor().decompress("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes-like"):
        ZstdCompressor().compress(None)  # type: ignore[arg-type]


# --- threads and processes -----------------------------------------------------------------------------


def test_many_threads_give_identical_results(messages: list[bytes], our_dict: bytes) -> None:
    payloads = [text(random.Random(i).randint(0, 30_000), i) for i in range(40)]
    expected = [compress_payload(p, 3) for p in payloads]
    expected_dict = [compress_payload(m, dict=our_dict) for m in messages[:40]]
    failures: list[str] = []

    def work() -> None:
        for _ in range(5):
            if [compress_payload(p, 3) for p in payloads] != expected:
                failures.append("compress")
            if decompress_payload_batch(expected) != payloads:
                failures.append("batch")
            if compress_payload_batch(messages[:40], dict=our_dict) != expected_dict:
                failures.append("dict")
            if [decompress_payload(f, dict=our_dict) for f in expected_dict] != messages[:40]:
                failures.append("dict decompress")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_after_use() -> None:
    items = [text(20_000, i) for i in range(50)]
    frames = compress_payload_batch(items)
    pid = os.fork()
    if pid == 0:  # child: the pool and the cached contexts must work after the fork
        ok = decompress_payload_batch(frames) == items and decompress_payload(frames[0]) == items[0]
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# --- command line ---------------------------------------------------------------------------------------


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tokenizer_rs", "zstd", *args], input=stdin, capture_output=True)


def test_cli_files_and_pipes(tmp_path: Path) -> None:
    data = text(3 * MiB)
    source, packed, unpacked = tmp_path / "in.txt", tmp_path / "in.txt.zst", tmp_path / "out.txt"
    source.write_bytes(data)
    assert cli("compress", "--level", "7", str(source), str(packed)).returncode == 0
    assert zstandard.ZstdDecompressor().decompressobj().decompress(packed.read_bytes()) == data
    assert cli("decompress", str(packed), str(unpacked)).returncode == 0
    assert unpacked.read_bytes() == data
    piped = cli("compress", "-", "-", stdin=data)
    assert piped.returncode == 0 and decompress_payload(piped.stdout) == data
    back = cli("decompress", "-", "-", stdin=piped.stdout)
    assert back.returncode == 0 and back.stdout == data
    empty = cli("compress", "-", "-", stdin=b"")
    assert decompress_payload(empty.stdout) == b""


def test_cli_dictionary(tmp_path: Path, messages: list[bytes], our_dict: bytes) -> None:
    dict_path = tmp_path / "chat.dict"
    dict_path.write_bytes(our_dict)
    packed = cli("compress", "--dict", str(dict_path), "--level", "5", "-", "-", stdin=messages[0])
    assert packed.returncode == 0
    assert decompress_payload(packed.stdout, dict=our_dict) == messages[0]
    back = cli("decompress", "--dict", str(dict_path), "-", "-", stdin=packed.stdout)
    assert back.returncode == 0 and back.stdout == messages[0]
    missing = cli("decompress", "-", "-", stdin=packed.stdout)
    assert missing.returncode == 1 and b"dictionary" in missing.stderr


def test_cli_errors(tmp_path: Path) -> None:
    data = text(100_000)
    packed = tmp_path / "data.zst"
    packed.write_bytes(compress_payload(data))
    out = tmp_path / "out"
    capped = cli("decompress", "--max-output-size", "10K", str(packed), str(out))
    assert capped.returncode == 1 and b"exceeds max_output_size" in capped.stderr
    assert not out.exists()  # the partial output is removed
    truncated = cli("decompress", "-", "-", stdin=packed.read_bytes()[:-3])
    assert truncated.returncode == 1 and b"truncated" in truncated.stderr
    assert cli("decompress", "-", "-", stdin=b"").returncode == 1
    out.write_bytes(b"keep me")
    refused = cli("decompress", str(packed), str(out))
    assert refused.returncode == 1 and out.read_bytes() == b"keep me"
    assert cli("decompress", "--force", str(packed), str(out)).returncode == 0 and out.read_bytes() == data
    same = cli("compress", "--force", str(packed), str(packed))
    assert same.returncode == 1 and decompress_payload(packed.read_bytes()) == data
    bad_level = cli("compress", "--level", "99", "-", "-", stdin=b"x")
    assert bad_level.returncode == 1 and b"level" in bad_level.stderr
    assert cli("decompress", "--max-output-size", "lots", "-", "-", stdin=b"").returncode == 2
    assert cli("compress", str(tmp_path / "missing"), "-").returncode == 1


@needs_zstd_tool
def test_cli_interop_with_zstd_tool(tmp_path: Path) -> None:
    data = text(2 * MiB)
    source = tmp_path / "data"
    source.write_bytes(data)
    ours = tmp_path / "ours.zst"
    assert cli("compress", str(source), str(ours)).returncode == 0
    assert subprocess.run([ZSTD, "-d", "-c", str(ours)], capture_output=True, check=True).stdout == data
    theirs = subprocess.run([ZSTD, "-c", "-9"], input=data, capture_output=True, check=True).stdout * 2
    back = cli("decompress", "-", "-", stdin=theirs)
    assert back.returncode == 0 and back.stdout == data + data


def test_cli_stdout_closed_early(tmp_path: Path) -> None:
    packed = tmp_path / "data.zst"
    packed.write_bytes(compress_payload(text(8 * MiB)))
    reader = subprocess.Popen(
        [sys.executable, "-m", "tokenizer_rs", "zstd", "decompress", str(packed), "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stderr is not None
    assert len(reader.stdout.read(100)) == 100
    reader.stdout.close()  # like `| head`
    assert reader.wait() == 0
    assert reader.stderr.read() == b""


CLI_MEMORY_SCRIPT = PEAK_PROBE + textwrap.dedent(
    """
    import json, sys
    from tokenizer_rs.cli import main
    before = start_peak()
    status = main(sys.argv[1:])
    print(json.dumps({"status": status, "growth_kib": peak() - before}))
    """
)


def test_cli_streams_files_larger_than_its_memory(tmp_path: Path) -> None:
    source, packed, unpacked = tmp_path / "big", tmp_path / "big.zst", tmp_path / "big.out"
    block = text(MiB)
    with open(source, "wb") as handle:
        for i in range(200):
            handle.write(block[i:] + block[:i])  # 200 MiB, compressible, not one repeated block
    peaks = []
    for args in (["zstd", "compress", str(source), str(packed)], ["zstd", "decompress", str(packed), str(unpacked)]):
        run = subprocess.run([sys.executable, "-c", CLI_MEMORY_SCRIPT, *args], capture_output=True, text=True, check=True)
        report = json.loads(run.stdout)
        assert report["status"] == 0
        peaks.append(report["growth_kib"])
    assert source.stat().st_size == unpacked.stat().st_size == 200 * MiB
    with open(source, "rb") as a, open(unpacked, "rb") as b:
        while True:
            x, y = a.read(MiB), b.read(MiB)
            assert x == y
            if not x:
                break
    # 1 MiB chunks and zstd's window: far less than the 200 MiB file.
    assert max(peaks) < 64 * 1024, peaks
