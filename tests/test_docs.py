"""The documentation holds together: the README leads to every page of docs/, and no link is dead.

The README is a newcomer's path; reference material lives in docs/, one page per subject. HACS
shows the README inside Home Assistant (hacs.json: render_readme), where a relative link resolves
against Home Assistant's own address: the README links to the repository's absolute addresses,
the pages of docs/ to each other relatively. No test here opens a socket.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
REPOSITORY = "https://github.com/texto-ha/texto/blob/main/"

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def links(path: Path) -> list[str]:
    """The targets of the Markdown links of a file, code blocks aside."""
    found: list[str] = []
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code:
            found += LINK.findall(re.sub(r"`[^`]*`", "", line))
    return found


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    slugs: set[str] = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (heading := re.match(r"#{1,6} (.+)", line)):
            slugs.add(re.sub(r"[^\w\- ]", "", heading[1].lower()).replace(" ", "-"))
    return slugs


def local_target(source: Path, target: str) -> tuple[Path, str] | None:
    """The file and anchor a link points to in this repository, or None for an outside link."""
    if target.startswith(REPOSITORY):
        target = target.removeprefix(REPOSITORY)
        base = ROOT
    elif re.match(r"[a-z]+:", target):
        return None
    else:
        base = source.parent
    path, _, anchor = target.partition("#")
    return (base / path if path else source).resolve(), anchor


def test_docs_has_pages() -> None:
    assert PAGES, "docs/ holds the reference pages the README leads to"


@pytest.mark.parametrize("source", [README, *PAGES], ids=lambda path: path.name)
def test_links_reach_a_file_and_heading(source: Path) -> None:
    for target in links(source):
        local = local_target(source, target)
        if local is None:
            continue
        path, anchor = local
        assert path.exists(), f"{source.name}: the link {target} leads to no file"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{source.name}: {target} names no heading there"


def test_readme_links_are_absolute() -> None:
    relative = [target for target in links(README) if not re.match(r"[a-z]+:|#", target)]
    assert not relative, (
        f"HACS shows the README inside Home Assistant, where {relative} would not resolve: "
        f"link to {REPOSITORY}..."
    )


def test_readme_leads_to_every_page() -> None:
    linked = {local[0] for target in links(README) if (local := local_target(README, target))}
    missing = [page.name for page in PAGES if page.resolve() not in linked]
    assert not missing, f"the README's 'Where next' does not lead to {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_page_says_what_it_holds_and_leads_back(page: Path) -> None:
    lines = page.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# "), f"{page.name} starts with its title"
    opening = " ".join(lines[2:6])
    assert "(../README.md)" in opening, f"{page.name}: its first paragraph links back to README"
