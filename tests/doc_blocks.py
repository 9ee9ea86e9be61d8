"""The documentation's code blocks, as the tests that run them read them: README.md and the pages in docs/."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from stack_process import ROOT

DOCS = ROOT / "docs"
NODE_MODULES = ROOT / "tests" / "interop" / "node_modules"  # make interop-deps: the pinned JavaScript packages


def page(name: str) -> str:
    """README.md, or a page of docs/ by its file name (`token-endpoint.md`; docs' own index is `docs/README.md`)."""
    return (ROOT / name if name in ("README.md", "docs/README.md") else DOCS / name).read_text()


def headings(text: str) -> list[tuple[int, str, int]]:
    """(level, title, line number) of every Markdown heading, leaving out `# comments` inside code blocks."""
    found, fenced = [], False
    for number, line in enumerate(text.splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"(#{1,6}) (.*)", line)):
            found.append((len(match.group(1)), match.group(2).strip(), number))
    return found


def section(text: str, heading: str) -> str:
    """What follows the heading line (`## Deploying`) up to the next heading of the same level or above."""
    lines, level, title = text.splitlines(), len(heading) - len(heading.lstrip("#")), heading.lstrip("#").strip()
    found = headings(text)
    starts = [number for found_level, found_title, number in found if (found_level, found_title) == (level, title)]
    assert len(starts) == 1, f"{len(starts)} {heading!r} sections"
    ends = [number for found_level, _, number in found if number > starts[0] and found_level <= level]
    return "\n".join(lines[starts[0] + 1:ends[0] if ends else len(lines)]) + "\n"


def blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of a language (```bash, ```python…), in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def block_with(text: str, language: str, marker: str) -> str:
    """The one block of that language holding `marker`."""
    (block,) = [block for block in blocks(text, language) if marker in block]
    return block


def answers(output: str) -> list:
    """What a block printed, one item per command: curl prints JSON bodies with no newline between them."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while position < len(output):
        if output[position].isspace():
            position += 1
        elif output[position] in "{[":
            value, position = decoder.raw_decode(output, position)
            found.append(value)
        else:
            line, _, rest = output[position:].partition("\n")
            found.append(line)
            position = len(output) - len(rest)
    return found


# What a fence's language says: code the tests run, or something shown (output, a diagram, a layout).
RUN = {"sh": "bash", "bash": "bash", "js": "node", "python": "python"}
SHOWN = {"json", "mermaid", "text", ""}
FENCE = re.compile(r"^( *)```(\S*)\s*$")
MARK = re.compile(r"^\s*<!-- not run: (.+?) -->\s*$")


@dataclasses.dataclass(frozen=True)
class Block:
    """A fenced block of a page: where it starts (1-based line of the fence), its language, its code (a list item's
    indentation removed) and, when the Markdown marks it `<!-- not run: why -->` just before the fence, why the tests
    cannot run it as written."""

    page: str
    line: int
    language: str
    code: str
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[str]:
    """README.md, then every page of docs/ in name order: the order a run of all their blocks follows."""
    return ["README.md", *sorted(path.name if path.name != "README.md" else "docs/README.md"
                                 for path in DOCS.glob("*.md"))]


def page_blocks(name: str) -> list[Block]:
    """Every fenced block of a page, indented ones (in a list item) too."""
    found, lines, opened = [], page(name).splitlines(), None
    for number, line in enumerate(lines):
        match = FENCE.match(line)
        if match and opened is None:
            opened = (number, match.group(1), match.group(2))
        elif match and len(match.group(1)) == len(opened[1]) and not match.group(2):
            start, indent, language = opened
            code = "".join(text.removeprefix(indent) + "\n" for text in lines[start + 1:number])
            previous = next((text for text in reversed(lines[:start]) if text.strip()), "")
            mark = MARK.match(previous)
            found.append(Block(name, start + 1, language, code, mark.group(1) if mark else None))
            opened = None
    assert opened is None, f"{name}:{opened[0] + 1}: a fence that is never closed"
    return found


def every_block() -> list[Block]:
    return [block for name in pages() for block in page_blocks(name)]


def blocks_run_by(test: str) -> list[Block]:
    """The blocks the doc runner does not run because their mark says this test (`tests/e2e/test_x.py`) does."""
    return [block for block in every_block() if block.not_run and test in block.not_run]


def npm_installs(code: str) -> list[str]:
    """The package specs of the block's `npm i …` comment(s)."""
    return [spec for line in re.findall(r"npm i(?:nstall)? ([^\n]*)", code) for spec in re.findall(r"[@\w./-]+", line)]


def name_and_version(spec: str) -> tuple[str, str]:
    """`openid-client@6.9.0` -> (openid-client, 6.9.0); `sm-crypto` -> (sm-crypto, ""); a scope's @ is the name's."""
    name, at, version = spec.rpartition("@")
    return (name, version) if at and name else (spec, "")


def pinned_package(spec: str) -> Path:
    """tests/interop/node_modules' copy of `name[@version]` (a version matches itself or, as `6`, its releases): an
    alias such as openid-client-6 is what `npm i openid-client@6` would install."""
    name, version = name_and_version(spec)
    for directory in [NODE_MODULES / name, *sorted(NODE_MODULES.iterdir())]:
        manifest = directory / "package.json"
        if manifest.is_file():
            package = json.loads(manifest.read_text())
            if package.get("name") == name and (not version or f"{package['version']}.".startswith(f"{version}.")):
                return directory
    pytest.fail(f"npm i {spec}: no such version pinned in tests/interop/package.json", pytrace=False)


def node_project(code: str, directory: Path) -> Path:
    """An ES module in a project whose node_modules holds exactly what the block's `npm i` comment installs."""
    installs = npm_installs(code)
    assert installs, "a JavaScript block says what it needs: a `// npm i package@version …` comment"
    (directory / "node_modules").mkdir(parents=True)
    for spec in installs:
        link = directory / "node_modules" / name_and_version(spec)[0]
        link.symlink_to(pinned_package(spec), target_is_directory=True)
    script = directory / "example.mjs"
    script.write_text(code)
    return script
