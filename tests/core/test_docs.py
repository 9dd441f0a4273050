"""The paper notes in ``docs/``: one per system, and every pointer into them from the code resolves.

Pointer syntax, the only form these tests accept and check::

    docs/<file>.md §<section>

``<file>`` is lower-case letters, digits, ``_`` or ``-``; exactly one space precedes ``§``;
``<section>`` is runs of letters and digits joined by single dots (``2``, ``2.5``, ``A3``), so a
full stop after a pointer is not part of it. The section exists when ``docs/<file>.md`` has a
Markdown heading whose text starts with ``§<section>`` followed by a space or the line's end
(``### §2.5 Attention update — Eq. (T4)``). Anything else that puts ``§`` after a ``.md`` path
in the code (another folder, backticks, no space, a line break) is reported as malformed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "paperzoo"
DOCS = ROOT / "docs"

SECTION = r"[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*"
POINTER = re.compile(rf"docs/(?P<file>[a-z0-9_-]+)\.md §(?P<section>{SECTION})")
# every ".md ... §" in code, well-formed or not: the candidates a pointer must match exactly
MD_SECTION = re.compile(r"[\w./-]*\.md[`'\"]*\s*§\S*")
HEADING = re.compile(rf"^#{{1,6}} §(?P<section>{SECTION})(?= |$)(?P<title>.*)$", re.MULTILINE)
# pointers to the research notes kept outside the repository
STALE = re.compile(r"shared/papers|\bnotes? (?:§|A\d)|\b(?:method|research|the) notes\b")
#: every paper note has these sections (matched against the heading titles, case-insensitive)
REQUIRED_SECTIONS = ("what the method does", "method", "deviations", "what reproduces", "code map")


def system_keys() -> list[str]:
    """Subpackages of ``paperzoo`` except ``core``: one per system."""
    return sorted(
        p.name
        for p in PACKAGE.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and p.name != "core"
    )


def headings(text: str) -> list[tuple[str, str]]:
    """``(section id, title)`` of each ``§`` heading of a Markdown text, in order."""
    return [(m["section"], m["title"].strip()) for m in HEADING.finditer(text)]


def pointers(text: str) -> list[tuple[str, str]]:
    """``(file, section)`` of each well-formed pointer in ``text``."""
    return [(m["file"], m["section"]) for m in POINTER.finditer(text)]


def malformed(text: str) -> list[tuple[int, str]]:
    """``(offset, text)`` of each ``.md`` + ``§`` reference that is not a well-formed pointer."""
    return [
        (m.start(), m[0]) for m in MD_SECTION.finditer(text) if not POINTER.fullmatch(_trim(m[0]))
    ]


@cache
def problem(file: str, section: str) -> str | None:
    """Why ``docs/<file>.md §<section>`` does not resolve, or None when it does."""
    doc = DOCS / f"{file}.md"
    if not doc.is_file():
        return "no such file"
    known = {sid for sid, _ in headings(doc.read_text(encoding="utf-8"))}
    return None if section in known else "no such section"


def _trim(candidate: str) -> str:
    """The candidate without the punctuation that may follow a pointer in prose."""
    match = POINTER.match(candidate)
    return match[0] if match else candidate


def _sources(folder: Path = PACKAGE) -> list[tuple[str, str]]:
    """``(path relative to the repository, text)`` of every Python file under ``folder``."""
    return [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
        for p in sorted(folder.rglob("*.py"))
        if p != Path(__file__).resolve()  # this file's examples are not pointers
    ]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def test_pointer_syntax_is_parsed_as_documented():
    text = (
        "see docs/tokentm.md §2.5. Also docs/neutronstar.md §A3, and (docs/atur.md §2)\n"
        "not: atur.md §1.2, ``docs/saco.md`` §2, docs/saco.md§2, docs/saco.md  §2, docs/x.md\n"
        "split over lines: docs/saco.md\n    §2"
    )
    assert pointers(text) == [("tokentm", "2.5"), ("neutronstar", "A3"), ("atur", "2")]
    assert [hit for _, hit in malformed(text)] == [
        "atur.md §1.2,", "docs/saco.md`` §2,", "docs/saco.md§2,", "docs/saco.md  §2,",
        "docs/saco.md\n    §2",
    ]  # fmt: skip
    doc = "# Title\n## §2 Method\n### §2.5 Attention update (Eq. T4)\n#### §2.5x\n§3 no heading\n"
    assert headings(doc) == [("2", "Method"), ("2.5", "Attention update (Eq. T4)"), ("2.5x", "")]
    assert [m[0] for m in STALE.finditer("(notes A3) shared/papers/x.md the notes")] == [
        "notes A3", "shared/papers", "the notes",
    ]  # fmt: skip
    assert not STALE.search("docs/neutronstar.md §2.2, grand potential")
    assert problem("tokentm", "2.5") is None
    assert problem("tokentm", "2.5.1") == "no such section"
    assert problem("no-such-system", "1") == "no such file"


@pytest.mark.parametrize("key", system_keys())
def test_every_system_has_its_paper_note(key):
    path = DOCS / f"{key}.md"
    assert path.is_file(), f"docs/{key}.md is missing: every system documents its paper there"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ") and "arXiv:" in text.split("\n## ", 1)[0], (
        f"{path.name}: must open with a '# ' title and name the paper's arXiv id before §1"
    )
    found = headings(text)
    ids = [sid for sid, _ in found]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate section ids in {ids}"
    titles = [title.lower() for _, title in found]
    missing = [s for s in REQUIRED_SECTIONS if not any(t.startswith(s) for t in titles)]
    assert not missing, f"{path.name}: no section titled {missing}"


def test_paths_named_in_the_notes_exist():
    """A code map that names a moved or deleted module fails here instead of going stale."""
    missing = [
        f"docs/{doc.name}: {path}"
        for doc in sorted(DOCS.glob("*.md"))
        for path in re.findall(r"`((?:paperzoo|tests)/[\w/.-]+)`", doc.read_text(encoding="utf-8"))
        if not (ROOT / path).exists()
    ]
    assert not missing, "paths in docs/ that do not exist:\n" + "\n".join(missing)


def test_every_code_pointer_names_an_existing_section():
    """Pointers in the package (and in the tests, which may cite the notes too) resolve."""
    broken, seen_files = [], set()
    for src, text in _sources(PACKAGE) + _sources(ROOT / "tests"):
        for m in POINTER.finditer(text):
            file, section = m["file"], m["section"]
            if src.startswith("paperzoo/"):
                seen_files.add(file)
            why = problem(file, section)
            if why is not None:
                broken.append(f"{src}:{_line(text, m.start())}: {m[0]} ({why})")
    assert not broken, "pointers that do not resolve:\n" + "\n".join(broken)
    unreferenced = sorted(set(system_keys()) - seen_files)
    assert not unreferenced, f"no code comment points into docs/<key>.md for {unreferenced}"


def test_no_code_points_to_notes_outside_the_repository():
    bad = []
    for src, text in _sources():
        hits = malformed(text) + [(m.start(), m[0]) for m in STALE.finditer(text)]
        bad += [f"{src}:{_line(text, offset)}: {hit!r}" for offset, hit in hits]
    assert not bad, "write these as 'docs/<key>.md §<section>':\n" + "\n".join(sorted(bad))
