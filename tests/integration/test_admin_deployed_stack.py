"""oidc-admin against a deployed stack: it finds tables and secrets by the stack's outputs and hashes with the
stack's parameters, through the normal AWS credential chain (here moto's CloudFormation)."""

from __future__ import annotations

import io
import json
import os

import boto3
import pytest

from oidc_core import aws
from oidc_core.passwords import hashing
from oidc_core.store import users
from oidc_core.store.identifiers import normalise
from oidc_tools import template
from oidc_tools.admin import cli as admin
from oidc_tools.stack.operations import KMS_KEYS, RESOURCES
from oidc_tools.stack.provision import provision

# moto creates no resource for the placeholder a stack needs; it only warns, and outputs are all we read
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.*WaitConditionHandle")


def deploy_stand_in(stack, name: str = "serverless-oidc") -> None:
    """A CloudFormation stack with the outputs and parameters `sam deploy` gives ours, pointing at the emulated
    tables and secrets."""
    outputs = {output: {"Value": getattr(stack.target, field)} for field, (_, output) in RESOURCES.items()}
    outputs.update({output: {"Value": getattr(stack.target, field)} for field, (_, output) in KMS_KEYS.items()
                    if getattr(stack.target, field)})  # the template outputs a KMS key only when it creates it
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
    assert hashing.parameters_of(user.password_hash).memory_kib == 32768
    assert hashing.verify_password("deployed password", user.password_hash)


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


# -- where the stack is: region, profile and stack name as `sam deploy` takes them --------------------------------------

@pytest.fixture(autouse=True)
def no_settings_of_this_machine(tmp_path, monkeypatch):
    """No samconfig.toml, AWS configuration or profile but the ones a test writes into tmp_path (the current
    directory, where oidc-admin looks for samconfig.toml first)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(admin, "ROOT", tmp_path)
    for name in ("AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    saved = dict(os.environ)
    yield
    # oidc-admin sets AWS_PROFILE and AWS_REGION for its process; in this process they must not outlive the test.
    os.environ.clear()
    os.environ.update(saved)


def provision_in(region: str, name: str, monkeypatch):
    """A whole stand-in stack (tables, secrets, CloudFormation outputs) in another region than the default one."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    aws.client.cache_clear()
    provisioned = provision(template.load(), {"IssuerUrl": "https://auth.example.com/oidc"})
    deploy_stand_in(provisioned, name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the operator's usual region: not where the stack is
    aws.client.cache_clear()
    return provisioned


def published_kids(provisioned, region: str) -> list[str]:
    public = boto3.session.Session().client("secretsmanager", region_name=region).get_secret_value(
        SecretId=provisioned.target.public_keys_secret_id)["SecretString"]
    return [key["kid"] for key in json.loads(public)["jwks"]["keys"]]


def rotate(capsys, *options: str) -> tuple[int, str, str]:
    code = admin.main([*options, "keys", "rotate", "--only", "signing"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_region_and_stack_name_come_from_samconfig(stack, tmp_path, monkeypatch, capsys):
    paris = provision_in("eu-west-3", "oidc-paris", monkeypatch)
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.global.parameters]\nstack_name = "oidc-paris"\n'
        '[default.deploy.parameters]\nregion = "eu-west-3"\ncapabilities = "CAPABILITY_IAM"\n')
    code, out, err = rotate(capsys)
    assert code == 0, err
    assert json.loads(out)["signing_key"]["kid"] in published_kids(paris, "eu-west-3")


def test_the_command_line_overrides_samconfig(stack, tmp_path, monkeypatch, capsys):
    paris = provision_in("eu-west-3", "oidc-paris", monkeypatch)
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "elsewhere"\nregion = "ap-south-1"\n')
    code, out, err = rotate(capsys, "--region", "eu-west-3", "--stack-name", "oidc-paris")
    assert code == 0, err
    assert json.loads(out)["signing_key"]["kid"] in published_kids(paris, "eu-west-3")
    code, _, err = rotate(capsys)  # without them: samconfig's stack, which does not exist
    assert code == 1 and "cannot read stack 'elsewhere'" in err


def test_the_profile_comes_from_samconfig(stack, tmp_path, monkeypatch, capsys):
    paris = provision_in("eu-west-3", "oidc-paris", monkeypatch)
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # the profile says where: sam deploy --guided saved only its name
    (tmp_path / "aws-config").write_text("[profile deployer]\nregion = eu-west-3\n"
                                         "aws_access_key_id = deployer\naws_secret_access_key = deployer\n")
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "oidc-paris"\nprofile = "deployer"\n')
    code, out, err = rotate(capsys)
    assert code == 0, err
    assert json.loads(out)["signing_key"]["kid"] in published_kids(paris, "eu-west-3")


def test_a_config_env_is_read_as_sam_deploy_reads_it(stack, tmp_path, monkeypatch, capsys):
    paris = provision_in("eu-west-3", "oidc-prod", monkeypatch)
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "serverless-oidc"\n'
        '[prod.global.parameters]\nstack_name = "ignored: deploy wins"\n'
        '[prod.deploy.parameters]\nstack_name = "oidc-prod"\nregion = "eu-west-3"\n')
    code, out, err = rotate(capsys, "--config-env", "prod")
    assert code == 0, err
    assert json.loads(out)["signing_key"]["kid"] in published_kids(paris, "eu-west-3")
    code, _, err = rotate(capsys, "--config-env", "staging")
    assert code == 1 and "has no environment [staging]" in err


@pytest.mark.parametrize("samconfig, environment, message", [
    ('[default.deploy.parameters]\nprofile = "nope"\n', {}, "The config profile (nope) could not be found"),
    ('[default.deploy.parameters]\nstack_name = "x"\n', {"AWS_DEFAULT_REGION": None}, "no AWS region: pass --region"),
    ("[default.deploy\n", {}, "samconfig.toml is not valid TOML"),
], ids=["unknown-profile", "no-region", "bad-toml"])
def test_what_cannot_be_resolved_is_one_line(stack, tmp_path, monkeypatch, capsys, samconfig, environment, message):
    (tmp_path / "samconfig.toml").write_text(f"version = 0.1\n{samconfig}")
    for name, value in environment.items():
        monkeypatch.delenv(name) if value is None else monkeypatch.setenv(name, value)
    code, _, err = rotate(capsys)
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_local_takes_no_deployment_options(capsys):
    with pytest.raises(SystemExit) as exit:
        admin.main(["--local", "--region", "eu-west-3", "keys", "rotate"])
    assert exit.value.code == 2
    assert "are for a deployed stack, not --local" in capsys.readouterr().err


@pytest.mark.parametrize("stack_parameters", [{"SigningKeySource": "KMS", "Sm2PasswordKeySource": "KMS"}],
                         ids=["signing-and-sm2-in-kms"])
def test_keys_show_finds_the_kms_keys_by_the_stack_outputs(stack, capsys):
    deploy_stand_in(stack)
    assert admin.main(["keys", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["signing_key"]["held_in"] == "kms" and shown["signing_key"]["key"] == stack.target.signing_kms_key_id
    assert shown["sm2_password_key"]["held_in"] == "kms"
    assert shown["rsa_password_key"] == {"held_in": "secrets-manager", "padding": "pkcs1v15"}
    # an asymmetric KMS key cannot rotate: asking for that alone is an error, not a success that did nothing
    assert admin.main(["keys", "rotate", "--only", "signing"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["oidc-admin: nothing to rotate: the signing key is held in KMS, where "
                                         "asymmetric KMS keys do not rotate"]


def test_keys_show_on_a_stack_without_kms_keys(stack, capsys):
    deploy_stand_in(stack)
    assert admin.main(["keys", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {key["held_in"] for key in shown.values()} == {"secrets-manager"}
    assert shown["signing_key"]["signing_kid"] in shown["signing_key"]["published_kids"]
