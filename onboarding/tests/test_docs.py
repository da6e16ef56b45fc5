"""The repository's documentation stands on its own: no file cites design notes that live
outside it, and every link between the docs (README.md, docs/*.md) and every `docs/…md`
reference in the code points at a file, and a heading, that exists. No database."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".git", ".venv", "node_modules", "var", "staticfiles", "__pycache__", ".ruff_cache"}

# Notes kept outside the repository, which its files must not cite (spelled in two pieces so
# that this file does not cite them either).
OUTSIDE_NOTES = re.compile(
    "|".join(
        [
            "DES" + "IGN" + r"(?:\.md)? §",
            "DES" + "IGN" + r"\.md",
            "DOM" + "AIN" + r"(?:\.md)? §",
            "DOM" + "AIN" + r"\.md",
            "STY" + "LE" + r"(?:\.md)? §",
            "STY" + "LE" + r"\.md",
        ]
    )
)
# Pages announced by a change still under way elsewhere: a link to one is accepted while it is
# missing, and checked like any other once it exists. Remove an entry when its page lands.
PENDING_PAGES: set[str] = set()

MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
DOCS_REFERENCE = re.compile(r"\bdocs/[\w-]+\.md(?:#[\w-]+)?")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


@cache
def repository_files() -> tuple[Path, ...]:
    """The files git would track (committed or not yet added, never ignored ones); without
    git, every file outside the tool and output folders."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = [
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)
        ]
    return tuple(ROOT / name for name in sorted(set(names)) if (ROOT / name).is_file())


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    return None if b"\0" in data else data.decode("utf-8", errors="replace")


def markdown_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = CODE_SPAN.sub(lambda span: span.group()[1:-1], heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    found: set[str] = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        if match := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line):
            base = slug(match.group(1))
            name, n = base, 0
            while name in found:  # GitHub numbers repeated headings: name, name-1, name-2…
                n += 1
                name = f"{base}-{n}"
            found.add(name)
    return frozenset(found)


def broken(source: Path, target: str, base: Path) -> str | None:
    """Why `target` (a path with an optional #anchor, relative to `base`) is not there, or None."""
    path_part, _, anchor = target.partition("#")
    path = (base / unquote(path_part)).resolve() if path_part else source
    relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    if not path.exists():
        return None if relative in PENDING_PAGES else f"{relative} does not exist"
    if anchor and path.suffix == ".md" and anchor.lower() not in anchors(path):
        return f"{relative} has no heading #{anchor}"
    return None


def test_no_file_cites_notes_kept_outside_the_repository():
    found = []
    for path in repository_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_NOTES.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "Cite the page under docs/ that holds it instead:\n" + "\n".join(found)


def test_links_between_the_docs_point_at_files_and_headings_that_exist():
    found = []
    for page in markdown_pages():
        text = CODE_SPAN.sub("", FENCE.sub("", page.read_text()))
        for target in MARKDOWN_LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
                continue  # another site (https:, mailto:) or a path on the running portal
            if reason := broken(page, target, page.parent):
                found.append(f"{page.relative_to(ROOT)}: ({target}): {reason}")
    assert found == []


def test_docs_cited_in_the_code_exist():
    found = []
    for path in repository_files():
        text = text_of(path)
        if text is None or path == Path(__file__).resolve():
            continue
        for reference in set(DOCS_REFERENCE.findall(text)):
            if reason := broken(path, reference, ROOT):
                found.append(f"{path.relative_to(ROOT)}: {reference}: {reason}")
    assert found == []


def test_the_checks_see_what_they_check():
    """Guards against a check passing because it found nothing to look at."""
    names = {path.relative_to(ROOT).as_posix() for path in repository_files()}
    assert {"README.md", "docs/README.md", "onboarding/reference.py"} <= names
    assert "the-listing-stages" in anchors(ROOT / "docs" / "domain.md")
    assert MARKDOWN_LINK.findall("see [the stages](docs/domain.md#the-listing-stages).") == [
        "docs/domain.md#the-listing-stages"
    ]
    assert broken(ROOT / "README.md", "docs/domain.md#no-such-heading", ROOT) is not None
    assert broken(ROOT / "README.md", "docs/no-such-page.md", ROOT) is not None
    assert OUTSIDE_NOTES.search("the " + "DES" + "IGN" + " §3 model") is not None
    assert OUTSIDE_NOTES.search("facts from " + "DOM" + "AIN" + ".md") is not None
    assert OUTSIDE_NOTES.search("_STYLES = {") is None
