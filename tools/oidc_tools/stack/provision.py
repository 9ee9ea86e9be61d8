"""Create what template.yaml declares (tables, secrets, first keys) in whatever AWS boto3 points at: the
local stack's emulator, or moto's in-process mock in the tests. Returns what the functions' environments resolve to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import boto3

from oidc_core.config import signing_activation_seconds
from oidc_tools import template as cfn
from oidc_tools.stack.operations import (KMS_KEYS, OPTIONAL_RESOURCES, RESOURCES, Target, replace_password_keys,
                                         rotate_signing_key)


@dataclass(frozen=True)
class Provisioned:
    target: Target
    environments: dict[str, dict[str, str]]  # function logical id -> its resolved environment variables


def _create_kms_keys(template: dict, resolver: cfn.Resolver, physical_ids: dict, attributes: dict) -> None:
    """The KMS keys the parameters ask for (KeySpec, KeyUsage); their policies are IAM, which the emulator ignores."""
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::KMS::Key" or not resolver.condition(resource.get("Condition")):
            continue
        properties = resource["Properties"]
        metadata = boto3.client("kms").create_key(KeySpec=properties["KeySpec"], KeyUsage=properties["KeyUsage"],
                                                  Description=logical_id)["KeyMetadata"]
        physical_ids[logical_id] = resolver.values[logical_id] = metadata["KeyId"]
        attributes[(logical_id, "Arn")] = metadata["Arn"]


def _create_resources(template: dict) -> tuple[dict, dict]:
    dynamodb, secretsmanager = boto3.client("dynamodb"), boto3.client("secretsmanager")
    physical_ids = {"HttpApi": "local"}
    attributes = {}
    for logical_id, table in cfn.resources_of_type(template, "AWS::DynamoDB::Table").items():
        description = dynamodb.create_table(
            TableName=logical_id,
            KeySchema=table["KeySchema"],
            AttributeDefinitions=table["AttributeDefinitions"],
            BillingMode=table.get("BillingMode", "PAY_PER_REQUEST"),
        )["TableDescription"]
        if "TimeToLiveSpecification" in table:
            dynamodb.update_time_to_live(TableName=logical_id, TimeToLiveSpecification=table["TimeToLiveSpecification"])
        physical_ids[logical_id] = logical_id
        attributes[(logical_id, "Arn")] = description["TableArn"]
    for logical_id, secret in cfn.resources_of_type(template, "AWS::SecretsManager::Secret").items():
        # GenerateSecretString: CloudFormation makes a random value; so do we.
        value = secret["SecretString"] if "SecretString" in secret else secrets.token_urlsafe(48)
        physical_ids[logical_id] = secretsmanager.create_secret(Name=logical_id, SecretString=value)["ARN"]
    return physical_ids, attributes


def provision(template: dict, parameters: dict) -> Provisioned:
    physical_ids, attributes = _create_resources(template)
    resolver = cfn.Resolver(template, parameters, physical_ids, attributes)
    _create_kms_keys(template, resolver, physical_ids, attributes)
    target = Target(
        **{field: physical_ids[logical_id] for field, (logical_id, _) in RESOURCES.items()},
        default_phone_country_code=resolver.values["DefaultPhoneCountryCode"],
        signing_activation_seconds=signing_activation_seconds(int(resolver.values["KeyCacheSeconds"])),
        token_retention_seconds=max(int(resolver.values["AccessTokenTtl"]), int(resolver.values["IdTokenTtl"])),
        **{field: attributes.get((logical_id, "Arn"), "") for field, (logical_id, _) in KMS_KEYS.items()},
        **{field: physical_ids.get(logical_id, "") for field, (logical_id, _) in OPTIONAL_RESOURCES.items()},
    )
    # What the stack's creation does: the rotation schedules rotate once at once, which makes the first keys.
    rotate_signing_key(target)
    replace_password_keys(target)
    environments = {
        function.logical_id: {name: str(resolver.resolve(value)) for name, value in function.environment.items()}
        for function in cfn.functions(template).values()
    }
    return Provisioned(target=target, environments=environments)
