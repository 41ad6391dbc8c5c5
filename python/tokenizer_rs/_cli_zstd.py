"""``tokenizer-rs zstd compress|decompress IN OUT``: zstd files, streamed in 1 MiB chunks.

``-`` is stdin (IN) or stdout (OUT). Memory stays at a few MiB whatever the file size, so files
larger than memory work. The output is a standard zstd stream: ``zstd -d`` reads what
``compress`` writes, and ``decompress`` reads what ``zstd`` writes (several frames included).

    tokenizer-rs zstd compress --level 19 log.jsonl log.jsonl.zst
    tokenizer-rs zstd decompress log.jsonl.zst - | head

An existing OUT is not overwritten unless ``--force`` is given; on failure a partly written
OUT file is removed. ``decompress`` has no output limit unless ``--max-output-size`` is given
(the output goes to a file, not to memory).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import IO, Any, Callable, Iterator, Optional

from ._native import ZstdCompressor, ZstdDecompressor

CHUNK = 1 << 20
_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(text: str) -> int:
    """A byte count such as ``1048576``, ``512K``, ``10M`` or ``2G`` (binary units)."""
    value = text.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = value[-1:] if value[-1:] in _SUFFIXES else ""
    number = value[: len(value) - len(suffix)]
    try:
        size = int(number) * _SUFFIXES[suffix]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1048576, 512K, 10M, 2G)") from None
    if size <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return size


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "zstd",
        help="compress or decompress files with zstd (streaming)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True)
    for name, help_text in (("compress", "compress IN to OUT"), ("decompress", "decompress IN to OUT")):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("input", metavar="IN", help="input file ('-' for stdin)")
        sub.add_argument("output", metavar="OUT", help="output file ('-' for stdout)")
        sub.add_argument("--dict", metavar="FILE", help="dictionary file (from train_dictionary or zstd --train)")
        sub.add_argument("-f", "--force", action="store_true", help="overwrite OUT if it exists")
        if name == "compress":
            sub.add_argument("--level", type=int, default=3, help="zstd level, -131072..22 (default 3)")
            sub.set_defaults(run=run_compress)
        else:
            sub.add_argument(
                "--max-output-size",
                type=_size,
                default=None,
                metavar="SIZE",
                help="fail if the output would exceed SIZE bytes (e.g. 100M; default: no limit)",
            )
            sub.set_defaults(run=run_decompress)


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _dict(args: argparse.Namespace) -> Optional[bytes]:
    if args.dict is None:
        return None
    with open(args.dict, "rb") as handle:
        return handle.read()


def _transfer(args: argparse.Namespace, pump: Callable[[IO[bytes], IO[bytes]], None]) -> int:
    """Opens IN and OUT, runs ``pump``, and removes a partly written OUT file on failure."""
    from_stdin, to_stdout = args.input == "-", args.output == "-"
    if not from_stdin and not to_stdout and os.path.exists(args.output):
        # Opening OUT for writing would empty IN before it is read.
        if os.path.samefile(args.input, args.output):
            raise ValueError(f"{args.output}: input and output are the same file")
    with contextlib.ExitStack() as stack:
        source = sys.stdin.buffer if from_stdin else stack.enter_context(open(args.input, "rb"))
        if to_stdout:
            try:
                pump(source, sys.stdout.buffer)
                sys.stdout.buffer.flush()
            except BrokenPipeError:
                # The reader went away (`| head`): stop quietly, as Unix tools do, and point
                # stdout at /dev/null so the interpreter's final flush does not fail again.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return 0
        # "x" refuses an existing file atomically (no check-then-open race).
        sink = stack.enter_context(open(args.output, "wb" if args.force else "xb"))
        try:
            pump(source, sink)
        except BaseException:
            sink.close()
            os.remove(args.output)
            raise
    return 0


def run_compress(args: argparse.Namespace) -> int:
    compressor = ZstdCompressor(args.level, dict=_dict(args))

    def pump(source: IO[bytes], sink: IO[bytes]) -> None:
        for chunk in _chunks(source):
            sink.write(compressor.compress(chunk))
        sink.write(compressor.flush())

    return _transfer(args, pump)


def run_decompress(args: argparse.Namespace) -> int:
    # No cap by default: the output streams to a file, so memory stays bounded by CHUNK.
    cap = args.max_output_size if args.max_output_size is not None else sys.maxsize
    decompressor = ZstdDecompressor(cap, dict=_dict(args))

    def pump(source: IO[bytes], sink: IO[bytes]) -> None:
        for chunk in _chunks(source):
            sink.write(decompressor.decompress(chunk, CHUNK))
            while not decompressor.needs_input:
                sink.write(decompressor.decompress(b"", CHUNK))
        decompressor.finish()

    return _transfer(args, pump)
