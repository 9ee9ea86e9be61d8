"""oidc-admin against a deployed stack: it finds tables and secrets by the stack's outputs and hashes with the
stack's parameters, through the normal AWS credential chain (here moto's CloudFormation)."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from oidc_core import passwords, users
from oidc_core.identifiers import normalise
from oidc_tools import admin
from oidc_tools.operations import RESOURCES

# moto creates no resource for the placeholder a stack needs; it only warns, and outputs are all we read
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.*WaitConditionHandle")


def deploy_stand_in(stack, name: str = "serverless-oidc") -> None:
    """A CloudFormation stack with the outputs and parameters `sam deploy` gives ours, pointing at the emulated
    tables and secrets."""
    outputs = {output: {"Value": getattr(stack.target, field)} for field, (_, output) in RESOURCES.items()}
    template = {
        "Parameters": {"DefaultPhoneCountryCode": {"Type": "String"}, "Argon2MemoryKib": {"Type": "Number"},
                       "Argon2Iterations": {"Type": "Number"}},
        "Resources": {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": outputs,
    }
    boto3.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template), Parameters=[
        {"ParameterKey": "DefaultPhoneCountryCode", "ParameterValue": "+1"},
        {"ParameterKey": "Argon2MemoryKib", "ParameterValue": "32768"},
        {"ParameterKey": "Argon2Iterations", "ParameterValue": "3"},
    ])


def test_user_create_uses_the_stack_outputs_and_parameters(stack, monkeypatch, capsys):
    deploy_stand_in(stack)
    monkeypatch.setattr("sys.stdin", io.StringIO("deployed password\n"))
    assert admin.main(["user", "create", "--phone", "415 555 0100", "--password-stdin"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["phone_number"] == "+14155550100"  # the stack's DefaultPhoneCountryCode
    user = users.find_by_login(stack.target.users_table, normalise("phone", "+14155550100", "+1"))
    assert passwords.parameters_of(user.password_hash).memory_kib == 32768
    assert passwords.verify_password("deployed password", user.password_hash)


def test_an_unknown_stack_is_a_one_line_error(stack, capsys):
    assert admin.main(["--stack-name", "nope", "keys", "rotate"]) == 1
    assert "cannot read stack 'nope'" in capsys.readouterr().err


def test_a_stack_without_our_outputs_is_refused(stack, capsys):
    boto3.client("cloudformation").create_stack(StackName="other", TemplateBody=json.dumps(
        {"Resources": {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}))
    assert admin.main(["--stack-name", "other", "keys", "rotate"]) == 1
    assert "is it a serverless-oidc stack" in capsys.readouterr().err


def test_keys_rotate_on_a_deployed_stack(stack, capsys):
    deploy_stand_in(stack, "prod-oidc")
    assert admin.main(["--stack-name", "prod-oidc", "keys", "rotate", "--only", "signing"]) == 0
    kid = json.loads(capsys.readouterr().out)["signing_key"]["kid"]
    public = json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId=stack.target.public_keys_secret_id)["SecretString"])
    assert public["jwks"]["keys"][0]["kid"] == kid and len(public["jwks"]["keys"]) == 2
    assert "password_encryption" in public  # untouched by --only signing
