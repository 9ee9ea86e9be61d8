"""The deploy's answers in samconfig.toml, written only once `sam deploy` has succeeded: a deploy that failed (no
credentials, a refused change) leaves the tracked file as it was, so nothing half-true is committed by accident.

They go where `sam deploy --save-params` puts them, [default.deploy.parameters], which sam deploy and oidc-admin
read; the rest of the file (its comments, the other sections) is kept as it is."""

from __future__ import annotations

from pathlib import Path

import tomlkit

SAMCONFIG = "samconfig.toml"


def _override(name: str, value: str) -> str:
    """sam's own form, as --save-params writes it: Name=Value, the value in double quotes when it needs them."""
    if value and not any(character.isspace() or character in "\"'\\" for character in value):
        return f"{name}={value}"
    return f'{name}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def save_answers(path: Path, stack_name: str | None, region: str | None, parameters: dict[str, str]) -> None:
    document = tomlkit.parse(path.read_text()) if path.is_file() else tomlkit.document()
    if "version" not in document:
        document["version"] = 0.1
    deploy = document.setdefault("default", tomlkit.table(True)).setdefault("deploy", tomlkit.table(True)) \
        .setdefault("parameters", tomlkit.table())
    if stack_name:
        deploy["stack_name"] = stack_name
    if region:
        deploy["region"] = region
    if parameters:
        deploy["parameter_overrides"] = " ".join(_override(name, value) for name, value in parameters.items())
    path.write_text(tomlkit.dumps(document))
