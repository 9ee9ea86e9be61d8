"""Every relative link of README.md and docs/*.md leads somewhere: to a file that exists and, when it names an
anchor, to a heading of that file (as GitHub makes anchors of headings). And the index links every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def outside_code_blocks(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a shell block is no heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation and code marks dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a page's headings; a repeated heading gets -1, -2… as on GitHub."""
    found, seen = set(), {}
    for line in outside_code_blocks(path.read_text()):
        if match := re.match(r"#{1,6} (.*)", line):
            name = anchor(match.group(1))
            found.add(f"{name}-{seen[name]}" if name in seen else name)
            seen[name] = seen.get(name, 0) + 1
    return found


def relative_links(path: Path) -> list[str]:
    """Link targets outside code (blocks and inline spans) that name no scheme (https:, mailto:)."""
    prose = "\n".join(re.sub(r"`[^`]*`", "", line) for line in outside_code_blocks(path.read_text()))
    return [target for target in LINK.findall(prose) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def test_the_anchor_of_a_heading_is_githubs():
    assert anchor("Password encryption (`password_encrypt_type`)") == "password-encryption-password_encrypt_type"
    assert anchor("Where we follow the RFC rather than one of Authing's documents") == \
        "where-we-follow-the-rfc-rather-than-one-of-authings-documents"
    assert anchor("Running one event: make invoke") == "running-one-event-make-invoke"


def test_a_broken_link_and_a_missing_anchor_are_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n```sh\n# not a heading\n```\n\n[a](other.md) [b](#title) [c](#not-a-heading) "
                    "`[d](nowhere.md)` [e](https://example.com)\n")
    assert relative_links(page) == ["other.md", "#title", "#not-a-heading"]
    assert anchors(page) == {"title"}
    assert broken_links(page) == ["other.md: no such file", "#not-a-heading: no heading with that anchor"]


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in relative_links(page):
        file_part, _, fragment = target.partition("#")
        destination = (page.parent / file_part).resolve() if file_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and (destination.suffix != ".md" or fragment not in anchors(destination)):
            broken.append(f"{target}: no heading with that anchor")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_the_index_links_every_page():
    """A page nobody links to is a page nobody finds."""
    index = {target.partition("#")[0] for target in relative_links(ROOT / "docs" / "README.md")}
    assert {page.name for page in PAGES if page.parent.name == "docs" and page.name != "README.md"} <= index
