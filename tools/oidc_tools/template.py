"""Reading template.yaml the way CloudFormation would, for the local stack: functions, routes, tables, secrets,
and the intrinsic functions their environment uses (Ref, Fn::GetAtt, Fn::Sub, Fn::If and the conditions, with
Fn::Equals, Fn::Not, Fn::And and Fn::Or)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms: `!Ref X` becomes {"Ref": "X"}, `!Sub s` becomes {"Fn::Sub": s}…"""


def _short_form(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node):
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _short_form)


def load(path: Path = TEMPLATE) -> dict:
    # S506 (unsafe loader) does not apply: _CloudFormationLoader is a SafeLoader that reads CloudFormation's tags as data
    return yaml.load(path.read_text(), Loader=_CloudFormationLoader)  # noqa: S506


@dataclass
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict
    routes: list[tuple[str, str]] = field(default_factory=list)  # (METHOD, /path)
    memory_size: int = 128  # MB; Lambda's defaults when the template gives none
    timeout: int = 3  # seconds


def functions(template: dict) -> dict[str, Function]:
    defaults = template.get("Globals", {}).get("Function", {})
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**defaults, **resource["Properties"]}
        environment = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        routes = [
            (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
            for event in resource["Properties"].get("Events", {}).values()
            if event["Type"] == "HttpApi"
        ]
        found[logical_id] = Function(logical_id, ROOT / properties["CodeUri"], properties["Handler"], environment, routes,
                                     memory_size=int(properties.get("MemorySize", 128)),
                                     timeout=int(properties.get("Timeout", 3)))
    return found


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def cors_configuration(template: dict) -> dict | None:
    for properties in resources_of_type(template, "AWS::Serverless::HttpApi").values():
        return properties.get("CorsConfiguration")
    return None


class Resolver:
    """Evaluates intrinsic functions with the given parameter values and physical ids (what `Ref` returns)."""

    def __init__(self, template: dict, parameters: dict, physical_ids: dict, attributes: dict | None = None):
        self.template = template
        self.values = {
            "AWS::Region": "us-east-1",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::AccountId": "123456789012",
            **{name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()},
            **parameters,
            **physical_ids,
        }
        self.attributes = attributes or {}

    def _parameter_type(self, name: str) -> str | None:
        return self.template.get("Parameters", {}).get(name, {}).get("Type")

    def condition(self, name: str | None) -> bool:
        """Whether the named condition holds; no name (a resource without a Condition) always does."""
        return name is None or bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {key: self.resolve(item) for key, item in value.items()}
        (name, argument), = value.items()
        if name == "Ref":
            if self._parameter_type(argument) == "CommaDelimitedList" and isinstance(self.values[argument], str):
                return self.values[argument].split(",")
            return self.values[argument]
        if name == "Fn::GetAtt":
            return self.attributes[tuple(argument)]
        if name == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda match: str(self.values[match.group(1)]), argument)
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(condition) else when_false)
        if name == "Fn::Equals":
            left, right = self.resolve(argument)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not self.resolve(argument[0])
        if name == "Fn::And":
            return all(self.resolve(item) for item in argument)
        if name == "Fn::Or":
            return any(self.resolve(item) for item in argument)
        if name == "Condition":
            return self.condition(argument)
        return {key: self.resolve(item) for key, item in value.items()}


def _chosen(value, resolver: Resolver):
    """The value with every Fn::If decided by the parameters and AWS::NoValue dropped; other intrinsics kept as is."""
    if isinstance(value, list):
        return [item for item in (_chosen(item, resolver) for item in value) if item != {"Ref": "AWS::NoValue"}]
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            condition, when_true, when_false = value["Fn::If"]
            return _chosen(when_true if resolver.condition(condition) else when_false, resolver)
        return {key: _chosen(item, resolver) for key, item in value.items()}
    return value


def policy_statements(template: dict, function: str, parameters: dict | None = None) -> list[dict]:
    """The IAM statements a function's role gets for these parameters: its own Policies and the AWS::IAM::Policy
    resources attached to its role (`<function>Role`, as SAM names it)."""
    resolver = Resolver(template, parameters or {}, {})
    documents = list(template["Resources"][function]["Properties"]["Policies"])
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy" and resolver.condition(resource.get("Condition")) \
                and {"Ref": f"{function}Role"} in resource["Properties"]["Roles"]:
            documents.append(resource["Properties"]["PolicyDocument"])
    return [statement for document in documents for statement in _chosen(document["Statement"], resolver)]


def _number(text: str) -> float | None:
    """A decimal number as CloudFormation's Number takes it (not Python's wider float syntax: 1_000, inf, nan)."""
    return float(text) if re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text) else None


def _shown(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def parameter_problem(name: str, spec: dict, value: str) -> str | None:
    """What CloudFormation would refuse in this value of a template parameter, in one line naming the parameter and
    the constraint; None when it would take it. As CloudFormation: a Number is any decimal number, AllowedPattern must
    match the whole value (each item of a CommaDelimitedList), MinValue/MaxValue bound a Number, MinLength/MaxLength a
    String."""
    items = value.split(",") if spec.get("Type") == "CommaDelimitedList" else [value]
    allowed = spec.get("AllowedValues")
    pattern = spec.get("AllowedPattern")
    because = f" ({spec['ConstraintDescription']})" if spec.get("ConstraintDescription") else ""
    for item in items:
        if spec.get("Type") == "Number":
            number = _number(item)
            if number is None:
                return f"{name}={item!r}: not a number"
            if allowed is not None and number not in [float(choice) for choice in allowed]:
                return f"{name}={item}: not one of its AllowedValues {', '.join(map(str, allowed))}"
            if "MinValue" in spec and number < float(spec["MinValue"]):
                return f"{name}={item}: below its MinValue {_shown(float(spec['MinValue']))}"
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                return f"{name}={item}: above its MaxValue {_shown(float(spec['MaxValue']))}"
            continue
        if allowed is not None and item not in [str(choice) for choice in allowed]:
            return f"{name}={item!r}: not one of its AllowedValues {', '.join(map(str, allowed))}"
        if pattern is not None and re.fullmatch(pattern, item) is None:
            return f"{name}={item!r}: does not match its AllowedPattern {pattern}{because}"
        if "MinLength" in spec and len(item) < int(spec["MinLength"]):
            return f"{name}={item!r}: shorter than its MinLength {spec['MinLength']}"
        if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
            return f"{name}={item!r}: longer than its MaxLength {spec['MaxLength']}"
    return None


def parameter_problems(template: dict, values: dict[str, str]) -> list[str]:
    """One line per value CloudFormation would refuse (a parameter the template lacks included), so a local run
    refuses what a deploy would, before anything starts."""
    declared = template.get("Parameters", {})
    problems = []
    for name, value in values.items():
        if name not in declared:
            problems.append(f"{name}: not a parameter of template.yaml")
        elif (problem := parameter_problem(name, declared[name], str(value))) is not None:
            problems.append(problem)
    return problems
