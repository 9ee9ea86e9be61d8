"""docs/architecture.md cannot drift from what it draws: its diagram names every function, table, secret and KMS key
of template.yaml, and its map of the package names every room tests/unit/test_layout.py knows."""

from __future__ import annotations

import re
from pathlib import Path

from oidc_tools import template

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
DRAWN = ("AWS::Serverless::Function", "AWS::DynamoDB::Table", "AWS::SecretsManager::Secret", "AWS::KMS::Key")


def mermaid_blocks() -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```", ARCHITECTURE.read_text(), re.S | re.M)


def test_the_diagram_draws_every_function_table_secret_and_key_of_the_template():
    declared = {name for kind in DRAWN for name in template.resources_of_type(template.load(), kind)}
    diagram = mermaid_blocks()[0]
    assert {name for name in declared if not re.search(rf'"{name}\b', diagram)} == set()


def test_the_map_names_every_room_of_the_package():
    from test_layout import RANK

    rooms = set(re.findall(r"^\| `(\w+)/` \|", ARCHITECTURE.read_text(), re.M))
    assert set(RANK) - {""} <= rooms


def test_the_map_of_the_tools_names_every_room_of_the_tools():
    from test_layout import TOOLS_RANK

    section = ARCHITECTURE.read_text().split("## The tools, room by room", 1)[1]
    rooms = set(re.findall(r"^\| `(\w+)/` \|", section, re.M))
    assert rooms == set(TOOLS_RANK) - {""}
