"""Every template parameter says what CloudFormation may take, and oidc_tools.template checks a value as CloudFormation
would (so `make dev` refuses what `sam deploy` would refuse, whatever parameters the template grows)."""

from __future__ import annotations

import pytest

from oidc_tools import template


@pytest.fixture(scope="module")
def parameters():
    return template.load()["Parameters"]


def test_every_parameter_is_constrained(parameters):
    unconstrained = [
        name for name, spec in parameters.items()
        if not ("AllowedValues" in spec or "AllowedPattern" in spec
                or (spec.get("Type") == "Number" and "MinValue" in spec and "MaxValue" in spec))
    ]
    assert unconstrained == [], "give these AllowedValues, an AllowedPattern, or a MinValue and a MaxValue"


def test_every_default_is_allowed(parameters):
    defaults = {name: str(spec.get("Default", "")) for name, spec in parameters.items()}
    assert template.parameter_problems({"Parameters": parameters}, defaults) == []


NUMBER = {"Type": "Number", "MinValue": 1, "MaxValue": 100}


@pytest.mark.parametrize("spec, value, problem", [
    (NUMBER, "abc", "IpFailureThreshold='abc': not a number"),
    (NUMBER, "1_000", "IpFailureThreshold='1_000': not a number"),  # Python's float() takes it, CloudFormation not
    (NUMBER, "nan", "IpFailureThreshold='nan': not a number"),
    (NUMBER, "", "IpFailureThreshold='': not a number"),
    (NUMBER, "0", "IpFailureThreshold=0: below its MinValue 1"),
    (NUMBER, "100.5", "IpFailureThreshold=100.5: above its MaxValue 100"),
    ({"Type": "Number", "AllowedValues": [1, 3, 5]}, "4", "IpFailureThreshold=4: not one of its AllowedValues 1, 3, 5"),
    ({"Type": "String", "AllowedValues": ["a", "b"]}, "c", "IpFailureThreshold='c': not one of its AllowedValues a, b"),
    ({"Type": "String", "AllowedPattern": "[a-z]+", "ConstraintDescription": "lower case"}, "abC",
     "IpFailureThreshold='abC': does not match its AllowedPattern [a-z]+ (lower case)"),
    ({"Type": "String", "MaxLength": 3}, "abcd", "IpFailureThreshold='abcd': longer than its MaxLength 3"),
    ({"Type": "CommaDelimitedList", "AllowedPattern": "[a-z]+"}, "ab,c1",
     "IpFailureThreshold='c1': does not match its AllowedPattern [a-z]+"),
], ids=["word", "underscores", "nan", "empty", "below", "above", "number-choices", "choices", "pattern",
        "length", "list-item"])
def test_a_refused_value_is_one_line_naming_the_parameter_and_its_constraint(spec, value, problem):
    assert template.parameter_problem("IpFailureThreshold", spec, value) == problem


@pytest.mark.parametrize("spec, value", [
    (NUMBER, "1"), (NUMBER, "100"), (NUMBER, "2.5"), (NUMBER, "+7"),
    ({"Type": "Number", "AllowedValues": [1, 3, 5]}, "3"),
    ({"Type": "String", "AllowedPattern": "[a-z]*"}, ""),
    ({"Type": "CommaDelimitedList", "AllowedPattern": "[a-z]+"}, "ab,c"),
])
def test_what_cloudformation_takes_is_taken(spec, value):
    assert template.parameter_problem("P", spec, value) is None


def test_the_template_refuses_what_the_functions_could_not_run_with(parameters):
    problems = template.parameter_problems({"Parameters": parameters}, {
        "IpFailureThreshold": "abc", "LogLevel": "TRACE", "DomainName": "Auth.Example.com",
        "CorsAllowedOrigins": "https://app.example.com,https://app.example.com/path", "NoSuchParameter": "1"})
    assert [problem.split(":")[0].split("=")[0] for problem in problems] == [
        "IpFailureThreshold", "LogLevel", "DomainName", "CorsAllowedOrigins", "NoSuchParameter"]
