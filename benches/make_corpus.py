"""Maintainer tool: rebuild the benchmark corpus fixtures/bench/{english,code,multilingual}.txt.

Not run by CI or the tests. benches/compare.py times each library on distinct ~10k-token chunks
of these files; this script remakes them, byte for byte, from pinned Debian bookworm packages:

    python benches/make_corpus.py [--workdir /tmp/make_corpus] [--out fixtures/bench]

It needs `apt-get download` (with bookworm and bookworm-security in the apt sources; a package
version that has left the archive is on snapshot.debian.org), `dpkg-deb`, and tokenizer_rs
installed (token budgets; compare.py's own chunker, run with tiktoken, checks the result). The
packages are only downloaded and unpacked into the work directory, never installed.

- english.txt: prose pages of the Debian Administrator's Handbook, the Python 3.11
  documentation (tutorial, HOWTOs, FAQ, language reference, what's new...), Debian Reference
  and the Debian history, as plain text (markup and tables stripped, examples kept), in blocks
  of ~12 KB taken in turn from each source.
- code.txt: whole, unchanged source files (Python, Rust, C, JavaScript, shell, JSON), each after
  a `==> path <==` line, the languages (and within one, its packages) taken in turn.
- multilingual.txt: translated prose in 27 languages (the same manuals, GNOME's and LibreOffice's help), only
  paragraphs that are actually translated (not equal to the English original, and written in the
  language's script), in blocks of 2-4 KB, the languages interleaved in fixed shares.

fixtures/bench/manifest.txt lists every page and file taken, in order; fixtures/README.md says
where each file comes from and under which licenses.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import random
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENCODINGS = ["cl100k_base", "o200k_base"]
CHUNK = 10_000
SEED = 20_250_520

# Every package read, pinned (bookworm / bookworm-security as of 2025-05-20 and later updates).
PACKAGES = {
    "debian-handbook": "11.20220922",
    "debian-reference-en": "2.100",
    "debian-reference-de": "2.100",
    "debian-reference-es": "2.100",
    "debian-reference-fr": "2.100",
    "debian-reference-it": "2.100",
    "debian-reference-ja": "2.100",
    "debian-reference-pt": "2.100",
    "debian-reference-zh-cn": "2.100",
    "debian-reference-zh-tw": "2.100",
    "debian-history": "2.28",
    "gnome-user-docs": "43.0-2",
    "python3.11-doc": "3.11.2-6+deb12u9",
    "libpython3.11-stdlib": "3.11.2-6+deb12u9",
    "librust-tokio-dev": "1.24.2-1",
    "librust-regex-automata-dev": "0.1.8-2",
    "librust-regex-syntax-dev": "0.6.27-1",
    "librust-serde-json-dev": "1.0.87-1",
    "librust-hashbrown-dev": "0.12.3-1",
    "librust-rayon-core-dev": "1.10.1-1",
    "librust-crossbeam-channel-dev": "0.5.6-1",
    "librust-memchr-dev": "2.5.0-1",
    "librust-aho-corasick-dev": "0.7.19-1",
    "librust-clap-dev": "4.0.32-1",
    "librust-itertools-dev": "0.10.3-1",
    "librust-anyhow-dev": "1.0.69-1",
    "libc6-dev": "2.36-9+deb12u14",
    "libcurl4-doc": "7.88.1-10+deb12u15",
    "node-acorn": "8.8.1+ds+~cs25.17.7-2",
    "node-commander": "9.4.1-1",
    "node-debug": "4.3.4+~cs4.1.7-1",
    "node-glob": "8.0.3+~cs8.4.15-1",
    "node-js-yaml": "4.1.0+dfsg+~4.0.5-7",
    "node-marked": "4.2.3+ds+~4.0.7-2",
    "node-minimatch": "5.1.1+~5.1.2-1",
    "node-semver": "7.3.5+~7.3.9-2",
    "node-yargs": "16.2.0+~16.0.4-7",
    "bash-completion": "1:2.11-6",
    "devscripts": "2.23.4+deb12u2",
    "python3-jsonschema": "4.10.3-1",
    "libreoffice-help-hi": "4:7.4.7-1+deb12u14",
}


def unpack(workdir: Path) -> dict[str, Path]:
    """Download (once) and unpack every package; name -> root of its unpacked tree."""
    debs, roots = workdir / "debs", {}
    debs.mkdir(parents=True, exist_ok=True)
    for name, version in PACKAGES.items():
        root = workdir / "root" / name
        if not (root / ".done").exists():
            # apt-get writes the epoch as %3a in the file name.
            pattern = f"{name}_{version.replace(':', '%3a')}_*.deb"
            if not list(debs.glob(pattern)):
                subprocess.run(["apt-get", "download", f"{name}={version}"], cwd=debs, check=True)
            (deb,) = debs.glob(pattern)
            root.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            (root / ".done").touch()
        roots[name] = root
    return roots


# ---------------------------------------------------------------------------------------------
# Markup to text


BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt",
    "figcaption", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "html", "li", "main",
    "nav", "ol", "p", "pre", "section", "ul",
}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SKIP_TAGS = {"head", "script", "style", "table", "object", "svg", "nav", "aside", "header", "footer"}
SKIP_CLASSES = {
    "navheader", "navfooter", "docnav", "toc", "headerlink", "sphinxsidebar", "related", "footer",
    "breadcrumbs", "legalnotice", "indexterm", "index", "copyright", "mobile-nav", "table",
    "informaltable",
}
SKIP_IDS = {"banner", "title"}  # the handbook's "Download the ebook" and site links


class HtmlText(HTMLParser):
    """Paragraphs of an HTML page: text of block elements with whitespace collapsed, <pre>
    kept verbatim, tables, navigation and heading anchors left out. With `main_class`, only
    what is inside the first element of that class."""

    def __init__(self, main_class: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.buf: list[str] = []
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, starts a skip, starts main)
        self.skip = 0
        self.pre = 0
        self.main_class = main_class
        self.in_main = main_class is None

    def flush(self) -> None:
        text = "".join(self.buf)
        self.buf = []
        text = text.strip("\n") if self.pre else " ".join(text.split())
        if text.strip():
            self.paragraphs.append(text.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            if tag in ("br", "hr") and not self.skip and self.in_main:
                self.buf.append("\n" if self.pre else " ")
                if tag == "hr":
                    self.flush()
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        starts_skip = tag in SKIP_TAGS or bool(classes & SKIP_CLASSES) or attributes.get("id") in SKIP_IDS
        starts_main = not self.in_main and self.main_class in classes
        if (tag in BLOCK_TAGS or starts_main) and not self.skip and self.in_main and not self.pre:
            self.flush()
        self.stack.append((tag, starts_skip, starts_main))
        self.skip += starts_skip
        self.in_main = self.in_main or starts_main
        if tag == "pre" and not self.skip:
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS or tag not in (t for t, _, _ in self.stack):
            return
        while self.stack:
            open_tag, starts_skip, starts_main = self.stack.pop()
            self.skip -= starts_skip
            if open_tag == "pre" and self.pre and not self.skip:
                self.flush()
                self.pre -= 1
            elif open_tag in BLOCK_TAGS and not self.skip and self.in_main and not self.pre:
                self.flush()
            if starts_main:
                self.flush()
                self.in_main = False
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip and self.in_main:
            self.buf.append(data)


def html_paragraphs(path: Path, main_class: str | None = None) -> list[str]:
    parser = HtmlText(main_class)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    parser.flush()
    return parser.paragraphs


MALLARD = "{http://projectmallard.org/1.0/}"
MALLARD_BLOCKS = {"p", "title", "subtitle", "screen", "code"}


def mallard_titles(directory: Path) -> dict[str, str]:
    """Page id -> title, for the text of <link xref="page"/> elements that have none."""
    titles = {}
    for page in sorted(directory.glob("*.page")):
        root = ET.parse(page).getroot()
        title = root.find(f"{MALLARD}title")
        if title is not None:
            titles[root.get("id", page.stem)] = " ".join("".join(title.itertext()).split())
    return titles


def mallard_paragraphs(path: Path, titles: dict[str, str]) -> list[str]:
    """Paragraphs of a Mallard page (GNOME help): the text of p/title/screen blocks, outside
    <info>; an empty <link xref> is given the title of the page it points to."""
    out: list[str] = []

    def text_of(element: ET.Element) -> str:
        parts = [element.text or ""]
        for child in element:
            if child.tag == f"{MALLARD}link" and not "".join(child.itertext()).strip():
                parts.append(titles.get((child.get("xref") or "").split("#")[0], ""))
            else:
                parts.append(text_of(child))
            parts.append(child.tail or "")
        return "".join(parts)

    def walk(element: ET.Element) -> None:
        for child in element:
            tag = child.tag.removeprefix(MALLARD)
            if tag == "info" or not isinstance(child.tag, str):
                continue
            if tag in MALLARD_BLOCKS:
                raw = text_of(child)
                text = raw.strip("\n") if tag in ("screen", "code") else " ".join(raw.split())
                if text.strip():
                    out.append(text.rstrip())
            else:
                walk(child)

    walk(ET.parse(path).getroot())
    return out


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass
class Doc:
    source: str  # "package path" for the manifest
    paragraphs: list[str]


def handbook(roots: dict[str, Path], lang: str) -> list[Doc]:
    base = roots["debian-handbook"] / "usr/share/doc/debian-handbook/html" / lang
    skip = {"index.html", "ix01.html"}
    return [Doc(f"debian-handbook html/{lang}/{p.name}", html_paragraphs(p))
            for p in sorted(base.glob("*.html")) if p.name not in skip]


def reference(roots: dict[str, Path], lang: str) -> list[Doc]:
    package = f"debian-reference-{lang}"
    base = roots[package] / "usr/share/debian-reference"
    suffix = "zh-cn" if lang == "zh-cn" else "zh-tw" if lang == "zh-tw" else lang
    pages = sorted(base.glob(f"ch*.{suffix}.html")) + sorted(base.glob(f"pr01.{suffix}.html"))
    return [Doc(f"{package} {p.name}", html_paragraphs(p)) for p in pages]


def history(roots: dict[str, Path], lang: str) -> list[Doc]:
    base = roots["debian-history"] / "usr/share/doc/debian-history/docs"
    names = ["intro", "leaders", "detailed", "releases", "manifesto"]
    return [Doc(f"debian-history docs/{n}.{lang}.html", html_paragraphs(base / f"{n}.{lang}.html"))
            for n in names if (base / f"{n}.{lang}.html").exists()]


def gnome(roots: dict[str, Path], lang: str) -> list[Doc]:
    base = roots["gnome-user-docs"] / "usr/share/help" / lang / "gnome-help"
    titles = mallard_titles(base)
    return [Doc(f"gnome-user-docs help/{lang}/gnome-help/{p.name}", mallard_paragraphs(p, titles))
            for p in sorted(base.glob("*.page"))]


def libreoffice_help(roots: dict[str, Path], lang: str) -> list[Doc]:
    """LibreOffice's help pages; only paragraphs of 40 characters or more (sentences, not the
    names of buttons and menu entries)."""
    package = f"libreoffice-help-{lang}"
    base = roots[package] / "usr/share/libreoffice/help" / lang / "text"
    return [Doc(f"{package} help/{lang}/text/{p.relative_to(base)}",
                [t for t in html_paragraphs(p) if len(t) >= 40])
            for p in sorted(base.rglob("*.html"))]


def python_docs(roots: dict[str, Path]) -> list[Doc]:
    base = roots["python3.11-doc"] / "usr/share/doc/python3.11/html"
    pages = []
    for section in ["tutorial", "howto", "faq", "reference", "using", "extending", "installing",
                    "distributing"]:
        pages += sorted((base / section).glob("*.html"))
    pages += [base / "whatsnew" / f"3.{minor}.html" for minor in range(11, 5, -1)]
    pages += [base / "glossary.html"]
    return [Doc(f"python3.11-doc html/{p.relative_to(base)}", html_paragraphs(p, "body"))
            for p in pages if not p.name.startswith("index")]


# ---------------------------------------------------------------------------------------------
# Token-budgeted assembly


Count = Callable[[str], dict[str, int]]
Built = tuple[str, list[str], dict[str, dict[str, int]]]  # text, manifest lines, tokens per stream


def counter() -> Count:
    import tokenizer_rs

    def count(text: str) -> dict[str, int]:
        return {e: tokenizer_rs.count_tokens(text, e) for e in ENCODINGS}

    return count


@dataclass
class Block:
    text: str
    sources: list[str]
    tokens: dict[str, int] = field(default_factory=dict)


def blocks_of(docs: list[Doc], size: tuple[int, int], rng: random.Random,
              keep: Callable[[str], bool] = lambda p: True) -> Iterator[Block]:
    """Consecutive paragraphs of `docs` (kept by `keep`, each long paragraph only once) grouped
    into blocks of a random size in `size` bytes, never splitting a paragraph."""
    seen: set[str] = set()
    parts: list[str] = []
    sources: list[str] = []
    target = rng.randint(*size)
    for doc in docs:
        for paragraph in doc.paragraphs:
            if len(paragraph) >= 40:
                if paragraph in seen:
                    continue
                seen.add(paragraph)
            if not keep(paragraph):
                continue
            if not sources or sources[-1] != doc.source:
                sources.append(doc.source)
            parts.append(paragraph)
            if sum(len(p.encode()) + 2 for p in parts) >= target:
                yield Block("\n\n".join(parts), sources)
                parts, sources, target = [], [], rng.randint(*size)
    if parts:
        yield Block("\n\n".join(parts), sources)


def round_robin(streams: list[Iterator[Block]]) -> Iterator[Block]:
    """A block from each stream in turn, leaving out streams that have run out."""
    live = list(streams)
    while live:
        for stream in list(live):
            block = next(stream, None)
            if block is None:
                live.remove(stream)
            else:
                yield block


def interleave(streams: dict[str, Iterator[Block]], shares: dict[str, float], target: int,
               count: Count) -> tuple[list[Block], dict[str, dict[str, int]]]:
    """Blocks taken from the stream furthest below its share (of o200k_base tokens) until both
    encodings reach `target` tokens. Returns the blocks and the tokens per stream."""
    totals = {name: {e: 0 for e in ENCODINGS} for name in streams}
    live = dict(streams)
    out: list[Block] = []
    while min(sum(t[e] for t in totals.values()) for e in ENCODINGS) < target:
        if not live:
            raise SystemExit(f"sources exhausted at {totals}")
        # Furthest below its share once its next block (~1k tokens) is in: the larger shares
        # come first, so the first chunk looks like the others.
        name = min(live, key=lambda n: ((totals[n]["o200k_base"] + 1_000) / shares[n], n))
        block = next(live[name], None)
        if block is None:
            print(f"  note: {name} ran out of text", file=sys.stderr)
            del live[name]
            continue
        block.tokens = count(block.text)
        block.sources = [f"[{name}] {s}" for s in block.sources]
        for e in ENCODINGS:
            totals[name][e] += block.tokens[e]
        out.append(block)
    return out, totals


# ---------------------------------------------------------------------------------------------
# english.txt


def english(roots: dict[str, Path], target: int, count: Count) -> Built:
    rng = random.Random(SEED)
    size = (8_000, 16_000)
    streams = {
        "handbook": blocks_of(handbook(roots, "en-US"), size, rng),
        "python-docs": blocks_of(python_docs(roots), size, rng),
        "debian-reference": blocks_of(reference(roots, "en"), size, rng),
        "debian-history": blocks_of(history(roots, "en"), size, rng),
    }
    shares = {"handbook": 0.45, "python-docs": 0.35, "debian-reference": 0.12, "debian-history": 0.08}
    blocks, totals = interleave(streams, shares, target, count)
    return "\n\n".join(b.text for b in blocks) + "\n", [s for b in blocks for s in b.sources], totals


# ---------------------------------------------------------------------------------------------
# multilingual.txt

SCRIPTS = {
    "Han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]"),
    "Kana": re.compile(r"[\u3040-\u30ff]"),
    "Hangul": re.compile(r"[\uac00-\ud7af]"),
    "Cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "Greek": re.compile(r"[\u0370-\u03ff]"),
    "Arabic": re.compile(r"[\u0600-\u06ff]"),
    "Devanagari": re.compile(r"[\u0900-\u097f]"),
    "Tamil": re.compile(r"[\u0b80-\u0bff]"),
    "Telugu": re.compile(r"[\u0c00-\u0c7f]"),
    "Gujarati": re.compile(r"[\u0a80-\u0aff]"),
    "Latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
}

# language: (share of o200k_base tokens, script its paragraphs must be written in, sources as
# (kind, code in that source)). Sources are read in this order, prose-heavy manuals first.
LANGUAGES: dict[str, tuple[float, str, list[tuple[str, str]]]] = {
    "zh-Hans": (0.11, "Han", [("handbook", "zh-CN"), ("reference", "zh-cn"), ("gnome", "zh_CN")]),
    "zh-Hant": (0.07, "Han", [("handbook", "zh-TW"), ("reference", "zh-tw")]),
    "ja": (0.10, "Kana", [("handbook", "ja-JP"), ("history", "ja"), ("reference", "ja"), ("gnome", "ja")]),
    "ko": (0.06, "Hangul", [("history", "ko"), ("handbook", "ko-KR"), ("gnome", "ko")]),
    "ru": (0.08, "Cyrillic", [("handbook", "ru-RU"), ("history", "ru"), ("gnome", "ru")]),
    "uk": (0.04, "Cyrillic", [("gnome", "uk")]),
    "sr": (0.02, "Cyrillic", [("gnome", "sr")]),
    "de": (0.06, "Latin", [("handbook", "de-DE"), ("history", "de"), ("reference", "de")]),
    "fr": (0.06, "Latin", [("handbook", "fr-FR"), ("history", "fr"), ("reference", "fr")]),
    "es": (0.05, "Latin", [("handbook", "es-ES"), ("history", "es"), ("reference", "es")]),
    "it": (0.03, "Latin", [("handbook", "it-IT"), ("history", "it"), ("reference", "it")]),
    "pt": (0.03, "Latin", [("handbook", "pt-BR"), ("history", "pt"), ("reference", "pt")]),
    "pl": (0.03, "Latin", [("handbook", "pl-PL"), ("gnome", "pl")]),
    "nl": (0.02, "Latin", [("handbook", "nl-NL"), ("gnome", "nl")]),
    "cs": (0.02, "Latin", [("gnome", "cs"), ("handbook", "cs-CZ")]),
    "tr": (0.02, "Latin", [("handbook", "tr-TR")]),
    "hu": (0.01, "Latin", [("gnome", "hu")]),
    "vi": (0.03, "Latin", [("handbook", "vi-VN"), ("gnome", "vi")]),
    "el": (0.03, "Greek", [("handbook", "el-GR"), ("gnome", "el")]),
    "ar": (0.03, "Arabic", [("handbook", "ar-MA")]),
    "fa": (0.02, "Arabic", [("handbook", "fa-IR"), ("gnome", "fa")]),
    "hi": (0.03, "Devanagari", [("libreoffice", "hi")]),
    "mr": (0.01, "Devanagari", [("gnome", "mr")]),
    "gu": (0.01, "Gujarati", [("gnome", "gu")]),
    "ta": (0.01, "Tamil", [("gnome", "ta")]),
    "te": (0.01, "Telugu", [("gnome", "te")]),
    "id": (0.01, "Latin", [("gnome", "id")]),
}
ENGLISH_CODES = {"handbook": "en-US", "reference": "en", "history": "en", "gnome": "C"}
READERS = {"handbook": handbook, "reference": reference, "history": history, "gnome": gnome,
           "libreoffice": libreoffice_help}


def letters_in(script: str, text: str) -> float:
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    if not letters:
        return 0.0
    return sum(1 for c in letters if SCRIPTS[script].match(c)) / len(letters)


ENGLISH_WORDS = {"the", "and", "of", "to", "is", "are", "this", "that", "with", "for", "you", "be",
                 "can", "which", "it", "on", "by", "as", "not", "or", "your", "from", "will"}


def translated(paragraph: str, script: str) -> bool:
    """Whether a paragraph of a translation is text in the translation's language: most of its
    letters in that script (Japanese: enough kana, which Chinese never uses), and for Latin
    scripts not English left untranslated (a leftover that differs from the current original)."""
    if script == "Latin":
        words = re.findall(r"[a-z]+", paragraph.lower())
        english = sum(1 for w in words if w in ENGLISH_WORDS)
        return letters_in("Latin", paragraph) > 0.6 and english <= 0.1 * len(words)
    return letters_in(script, paragraph) >= (0.15 if script == "Kana" else 0.34)


def multilingual(roots: dict[str, Path], target: int, count: Count) -> Built:
    english_text = {kind: {p for d in READERS[kind](roots, code) for p in d.paragraphs}
                    for kind, code in ENGLISH_CODES.items()}
    english_text["libreoffice"] = set()  # the script test alone: no English help is read
    rng = random.Random(SEED)
    streams, shares = {}, {}
    for lang, (share, script, sources) in LANGUAGES.items():
        per_source = []
        for kind, code in sources:
            pages = READERS[kind](roots, code)
            for doc in pages:
                doc.paragraphs = [p for p in doc.paragraphs if p not in english_text[kind]]
            # Each language starts at a different page, so that a chunk is not the same few
            # chapters in every language; its sources take turns.
            start = rng.randrange(len(pages))
            per_source.append(blocks_of(pages[start:] + pages[:start], (2_000, 4_000), rng,
                                        functools.partial(translated, script=script)))
        streams[lang] = round_robin(per_source)
        shares[lang] = share
    blocks, totals = interleave(streams, shares, target, count)
    return "\n\n".join(b.text for b in blocks) + "\n", [s for b in blocks for s in b.sources], totals


# ---------------------------------------------------------------------------------------------
# code.txt


def code_files(roots: dict[str, Path]) -> dict[str, list[list[tuple[str, Path]]]]:
    """Language -> groups (one per package, or per kind of file) of candidate files as
    (label, path), deduplicated by content."""
    def under(package: str, sub: str, patterns: list[str]) -> list[tuple[str, Path]]:
        base = roots[package] / sub
        if not base.is_dir():
            raise SystemExit(f"{package}: no {sub}")
        found = sorted({p for pattern in patterns for p in base.rglob(pattern) if p.is_file() and not p.is_symlink()})
        return [(f"{package} /{p.relative_to(roots[package])}", p) for p in found]

    def shell_script(path: Path) -> bool:
        return path.read_bytes()[:40].split(b"\n")[0] in (b"#!/bin/sh", b"#!/bin/bash", b"#! /bin/sh", b"#!/bin/sh -e")

    rust = [[f for f in under(name, "usr/share/cargo/registry", ["*.rs"])
             if "unicode_tables" not in str(f[1]) and "/debian/" not in str(f[1])]
            for name in PACKAGES if name.startswith("librust-")]
    js = [[f for f in under(name, "usr/share/nodejs", ["*.js", "*.mjs", "*.cjs"]) if not f[1].name.endswith(".min.js")]
          for name in PACKAGES if name.startswith("node-")]
    langs = {
        "python": [under("libpython3.11-stdlib", "usr/lib/python3.11", ["*.py"])],
        "rust": rust,
        "c": [under("libcurl4-doc", "usr/share/doc/libcurl4/examples", ["*.c"]),
              under("libc6-dev", "usr/include", ["*.h"])],
        "javascript": js,
        "shell": [under("bash-completion", "usr/share/bash-completion/completions", ["*"]),
                  [f for f in under("devscripts", "usr/bin", ["*"]) if shell_script(f[1])]],
        "json": [under("python3-jsonschema", "usr/lib/python3/dist-packages/jsonschema", ["*.json"]),
                 [f for name in PACKAGES if name.startswith("node-")
                  for f in under(name, "usr/share/nodejs", ["package.json"])]],
    }
    seen: set[bytes] = set()
    out: dict[str, list[list[tuple[str, Path]]]] = {}
    for lang, groups in langs.items():
        out[lang] = []
        for files in groups:
            kept = []
            for label, path in files:
                data = path.read_bytes()
                digest = hashlib.sha256(data).digest()
                if digest in seen:
                    continue
                seen.add(digest)
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                kept.append((label, path))
            out[lang].append(kept)
    return out


def code(roots: dict[str, Path], target: int, count: Count) -> Built:
    rng = random.Random(SEED)
    shares = {"python": 0.30, "rust": 0.25, "c": 0.20, "javascript": 0.12, "shell": 0.08, "json": 0.05}
    min_size = {"json": 300, "shell": 800}

    def stream(files: list[tuple[str, Path]], lang: str) -> Iterator[Block]:
        files = [(label, path) for label, path in files
                 if min_size.get(lang, 1_000) <= path.stat().st_size <= 24_000]
        rng.shuffle(files)
        for label, path in files:
            text = path.read_text(encoding="utf-8")
            yield Block(f"==> {label.split(' ', 1)[1].lstrip('/')} <==\n{text.rstrip(chr(10))}\n", [label])

    # Within a language, the packages (or kinds of file) take turns.
    streams = {lang: round_robin([stream(files, lang) for files in groups])
               for lang, groups in code_files(roots).items()}
    blocks, totals = interleave(streams, shares, target, count)
    return "\n".join(b.text for b in blocks), [s for b in blocks for s in b.sources], totals


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/make_corpus"))
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures" / "bench")
    parser.add_argument("--chunks", type=int, default=36,
                        help="10k-token chunks each file should give on both encodings")
    args = parser.parse_args()
    roots = unpack(args.workdir)
    sys.path[:0] = [str(ROOT / "benches"), str(ROOT / "tests")]
    from compare import chunks_of_10k_tokens
    from reference import reference  # tiktoken, built offline from our ranks

    def tiktoken_count(encoding: str) -> Callable[[str], int]:
        ref = reference(encoding)
        return lambda line: len(ref.encode(line, allowed_special="all"))
    count = counter()
    args.out.mkdir(parents=True, exist_ok=True)
    # Chunks end at a line end past 10,000 tokens, and the last, short one is dropped: ask for a
    # little more than chunks x 10,000.
    target = args.chunks * CHUNK * 102 // 100 + CHUNK // 2
    manifest = []
    for name, build in [("english", english), ("code", code), ("multilingual", multilingual)]:
        text, sources, totals = build(roots, target, count)
        text.encode("utf-8")  # valid UTF-8: a str without lone surrogates
        path = args.out / f"{name}.txt"
        path.write_text(text, encoding="utf-8", newline="\n")
        total = {e: sum(t[e] for t in totals.values()) for e in ENCODINGS}
        print(f"{path.name}: {len(text.encode()):,} bytes, " + ", ".join(f"{e} {n:,}" for e, n in total.items()))
        for part, t in sorted(totals.items(), key=lambda kv: -kv[1]["o200k_base"]):
            print(f"  {part:18} " + "  ".join(f"{e} {t[e]:8,} ({t[e] / total[e]:5.1%})" for e in ENCODINGS))
        manifest += [f"== {path.name}"] + sources
        chunks = {e: len(chunks_of_10k_tokens(text, tiktoken_count(e))) for e in ENCODINGS}
        print("  chunks of 10k tokens (compare.py's cut): " + ", ".join(f"{e} {n}" for e, n in chunks.items()))
        if min(chunks.values()) < 32:
            raise SystemExit(f"{path.name} gives fewer than 32 chunks: raise --chunks")
    (args.out / "manifest.txt").write_text("\n".join(manifest) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
