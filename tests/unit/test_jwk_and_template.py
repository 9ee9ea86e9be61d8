import json

import pytest

from oidc_core.keys.jwk import thumbprint
from oidc_tools import template


def test_thumbprint_matches_rfc7638_section_3_1_example():
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.fixture(scope="module")
def cfn():
    return template.load()


def test_routes_are_the_public_interface(cfn):
    functions = template.functions(cfn)
    assert sorted(functions["TokenFunction"].routes) == [("POST", "/api/v3/signin"), ("POST", "/oidc/token")]
    assert sorted(functions["DiscoveryFunction"].routes) == [
        ("GET", "/api/v3/system"), ("GET", "/oidc/.well-known/jwks.json"),
        ("GET", "/oidc/.well-known/openid-configuration")]
    assert sorted(functions["SessionFunction"].routes) == [
        ("GET", "/oidc/me"), ("GET", "/oidc/me/"), ("GET", "/oidc/session/end"), ("POST", "/oidc/me"),
        ("POST", "/oidc/me/"), ("POST", "/oidc/session/end"),  # the logout confirmation's form (issue 23)
        ("POST", "/oidc/token/introspection"), ("POST", "/oidc/token/revocation")]


def test_functions_run_python_313_on_the_chosen_architecture(cfn):
    function_globals = cfn["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == [{"Ref": "Architecture"}]
    assert cfn["Parameters"]["Architecture"]["Default"] == "arm64"


def test_tables_are_on_demand_with_point_in_time_recovery(cfn):
    tables = template.resources_of_type(cfn, "AWS::DynamoDB::Table")
    assert set(tables) == {"UsersTable", "ClientsTable", "TokensTable"}
    for table in tables.values():
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert tables["TokensTable"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


ALL_KEYS_IN_KMS = {"SigningKeySource": "KMS", "RsaPasswordKeySource": "KMS", "Sm2PasswordKeySource": "KMS"}


def _statements(cfn, function, parameters=None):
    return template.policy_statements(cfn, function, parameters)


def _logical_id(resource) -> str:
    """A resource's logical id; an ARN the template builds (SES's identities) as its Fn::Sub text; "*" as itself."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        sub = resource["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return resource["Fn::GetAtt"][0] if "Fn::GetAtt" in resource else resource["Ref"]


def _grants(cfn, function, parameters=None) -> set[tuple[str, str]]:
    """(resource logical id, action) pairs a function's policies allow."""
    granted = set()
    for statement in _statements(cfn, function, parameters):
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        granted |= {(_logical_id(resource), action) for resource in resources for action in actions}
    return granted


# Exactly what each function calls: a new permission must be added here too, on purpose.
LEAST_PRIVILEGE = {
    "TokenFunction": {
        ("UsersTable", "dynamodb:BatchGetItem"),
        ("UsersTable", "dynamodb:UpdateItem"), ("ClientsTable", "dynamodb:BatchGetItem"),
        ("TokensTable", "dynamodb:BatchGetItem"), ("TokensTable", "dynamodb:PutItem"),
        ("TokensTable", "dynamodb:UpdateItem"), ("TokensTable", "dynamodb:BatchWriteItem"),
        ("TokensTable", "dynamodb:DeleteItem"),  # a passcode sign-in uses its code up
        ("SigningKeySecret", "secretsmanager:GetSecretValue"), ("PasswordKeysSecret", "secretsmanager:GetSecretValue"),
        ("AuditKeySecret", "secretsmanager:GetSecretValue"),
    },
    "DiscoveryFunction": {("PublicKeysSecret", "secretsmanager:GetSecretValue")},
    "RotateKeysFunction": {
        *{(secret, action) for secret in ("SigningKeySecret", "PasswordKeysSecret")
          for action in ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                         "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage")},
        ("PublicKeysSecret", "secretsmanager:GetSecretValue"), ("PublicKeysSecret", "secretsmanager:PutSecretValue"),
    },
    "SessionFunction": {
        ("UsersTable", "dynamodb:BatchGetItem"), ("UsersTable", "dynamodb:UpdateItem"),
        ("ClientsTable", "dynamodb:BatchGetItem"), ("TokensTable", "dynamodb:BatchGetItem"),
        ("TokensTable", "dynamodb:PutItem"), ("TokensTable", "dynamodb:UpdateItem"),
        ("TokensTable", "dynamodb:DeleteItem"), ("PublicKeysSecret", "secretsmanager:GetSecretValue"),
    },
    # No private key at all: it shows pages, checks passwords and issues codes; TokenFunction signs the tokens. Its
    # logins upgrade hashes as the token endpoint's do.
    "AuthorizeFunction": {
        ("UsersTable", "dynamodb:BatchGetItem"), ("UsersTable", "dynamodb:UpdateItem"),
        ("ClientsTable", "dynamodb:BatchGetItem"),
        ("TokensTable", "dynamodb:BatchGetItem"), ("TokensTable", "dynamodb:PutItem"),
        ("TokensTable", "dynamodb:UpdateItem"), ("TokensTable", "dynamodb:DeleteItem"),
        ("TokensTable", "dynamodb:BatchWriteItem"),
        ("AuditKeySecret", "secretsmanager:GetSecretValue"), ("PublicKeysSecret", "secretsmanager:GetSecretValue"),
    },
    # No signing key: it sends codes, creates users and sets passwords (decrypting one sent encrypted, hence the
    # password keys), and verifies access tokens with the public keys. SES only while EmailSender is set (below).
    "SelfServiceFunction": {
        ("ClientsTable", "dynamodb:GetItem"), ("UsersTable", "dynamodb:GetItem"), ("UsersTable", "dynamodb:BatchGetItem"),
        ("UsersTable", "dynamodb:PutItem"), ("UsersTable", "dynamodb:UpdateItem"),
        ("TokensTable", "dynamodb:GetItem"), ("TokensTable", "dynamodb:BatchGetItem"),
        ("TokensTable", "dynamodb:PutItem"), ("TokensTable", "dynamodb:UpdateItem"),
        ("TokensTable", "dynamodb:DeleteItem"), ("TokensTable", "dynamodb:BatchWriteItem"),
        ("AuditKeySecret", "secretsmanager:GetSecretValue"),
        ("PublicKeysSecret", "secretsmanager:GetSecretValue"), ("PasswordKeysSecret", "secretsmanager:GetSecretValue"),
        ("*", "sns:Publish"),
    },
}
# SNS authorizes an SMS to a phone number only on "*" (there is no ARN to scope to): the one such statement.
SMS_TO_PHONE_NUMBERS = {"Sid": "SendSms", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": "*"}


# Issue 23 points 4 and 1: what a parameter adds, and to whom. LazyMigration: the upstream's settings and the users a
# first login creates (login/upstream.py), for the two functions that check passwords. TrustedProxyHops: the proxy's
# origin secret, for the functions that derive a caller's address.
MIGRATION_GRANTS = {("UpstreamSecret", "secretsmanager:GetSecretValue"), ("UsersTable", "dynamodb:PutItem")}
PROXY_GRANTS = {("OriginSecret", "secretsmanager:GetSecretValue")}


@pytest.mark.parametrize("parameters, added", [
    ({"LazyMigration": "true"}, {"TokenFunction": MIGRATION_GRANTS, "AuthorizeFunction": MIGRATION_GRANTS}),
    ({"TrustedProxyHops": "1"}, {"TokenFunction": PROXY_GRANTS, "SessionFunction": PROXY_GRANTS,
                                 "AuthorizeFunction": PROXY_GRANTS, "SelfServiceFunction": PROXY_GRANTS}),
], ids=["lazy-migration", "trusted-proxy"])
def test_a_parameter_adds_only_its_own_grants(cfn, parameters, added):
    for function, granted in LEAST_PRIVILEGE.items():
        assert _grants(cfn, function, parameters) == granted | added.get(function, set()), function


# With every key in KMS: the secrets of private keys are no longer read, and each KMS call is allowed on its key only.
KMS_LEAST_PRIVILEGE = {
    "TokenFunction": LEAST_PRIVILEGE["TokenFunction"] - {
        ("SigningKeySecret", "secretsmanager:GetSecretValue"), ("PasswordKeysSecret", "secretsmanager:GetSecretValue")
    } | {("SigningKmsKey", "kms:Sign"), ("SigningKmsKey", "kms:GetPublicKey"), ("RsaPasswordKmsKey", "kms:Decrypt"),
         ("RsaPasswordKmsKey", "kms:GetPublicKey"), ("Sm2PasswordKmsKey", "kms:Decrypt")},
    "DiscoveryFunction": LEAST_PRIVILEGE["DiscoveryFunction"] | {
        (key, "kms:GetPublicKey") for key in ("SigningKmsKey", "RsaPasswordKmsKey", "Sm2PasswordKmsKey")},
    "RotateKeysFunction": LEAST_PRIVILEGE["RotateKeysFunction"],
    "SessionFunction": LEAST_PRIVILEGE["SessionFunction"] | {("SigningKmsKey", "kms:GetPublicKey")},
    "AuthorizeFunction": LEAST_PRIVILEGE["AuthorizeFunction"] | {("SigningKmsKey", "kms:GetPublicKey")},
    "SelfServiceFunction": LEAST_PRIVILEGE["SelfServiceFunction"] - {
        ("PasswordKeysSecret", "secretsmanager:GetSecretValue")
    } | {("SigningKmsKey", "kms:GetPublicKey"), ("RsaPasswordKmsKey", "kms:Decrypt"),
         ("RsaPasswordKmsKey", "kms:GetPublicKey"), ("Sm2PasswordKmsKey", "kms:Decrypt")},
}


@pytest.mark.parametrize("parameters, expected", [({}, LEAST_PRIVILEGE), (ALL_KEYS_IN_KMS, KMS_LEAST_PRIVILEGE)],
                         ids=["secrets-manager", "kms"])
@pytest.mark.parametrize("function", sorted(LEAST_PRIVILEGE))
def test_policies_are_least_privilege(cfn, function, parameters, expected):
    for statement in _statements(cfn, function, parameters):
        if statement == SMS_TO_PHONE_NUMBERS and function == "SelfServiceFunction":
            continue
        assert "*" not in json.dumps(statement["Action"]), statement
        assert statement["Resource"] != "*" and "*" not in json.dumps(statement["Resource"]), statement
    assert _grants(cfn, function, parameters) == expected[function]


def test_one_key_in_kms_changes_only_what_that_key_needs(cfn):
    only_sm2 = {"Sm2PasswordKeySource": "KMS"}
    assert _grants(cfn, "TokenFunction", only_sm2) == LEAST_PRIVILEGE["TokenFunction"] | {
        ("Sm2PasswordKmsKey", "kms:Decrypt")}  # the RSA key still comes from the password-keys secret
    assert _grants(cfn, "SessionFunction", only_sm2) == LEAST_PRIVILEGE["SessionFunction"]


# Who may use each KMS key, by its key policy: (action, the roles allowed, the conditions on the call).
KEY_USERS = {
    "SigningKmsKey": {
        ("kms:Sign", ("TokenFunctionRole",),
         (("kms:MessageType", "DIGEST"), ("kms:SigningAlgorithm", "RSASSA_PKCS1_V1_5_SHA_256"))),
        ("kms:GetPublicKey", ("TokenFunctionRole", "DiscoveryFunctionRole", "SessionFunctionRole",
                              "AuthorizeFunctionRole"), ()),
    },
    "RsaPasswordKmsKey": {
        ("kms:Decrypt", ("TokenFunctionRole",), (("kms:EncryptionAlgorithm", "RSAES_OAEP_SHA_256"),)),
        ("kms:GetPublicKey", ("TokenFunctionRole", "DiscoveryFunctionRole"), ()),
    },
    "Sm2PasswordKmsKey": {
        ("kms:Decrypt", ("TokenFunctionRole",), (("kms:EncryptionAlgorithm", "SM2PKE"),)),
        ("kms:GetPublicKey", ("DiscoveryFunctionRole",), ()),
    },
}


@pytest.mark.parametrize("key", sorted(KEY_USERS))
def test_key_policies_let_only_the_functions_that_need_a_key_use_it(cfn, key):
    resource = cfn["Resources"][key]
    assert resource["Condition"] and resource["Properties"]["KeyUsage"] in ("SIGN_VERIFY", "ENCRYPT_DECRYPT")
    uses = set()
    for statement in resource["Properties"]["KeyPolicy"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        condition = statement.get("Condition", {})
        if statement["Sid"] == "AccountAdministersTheKey":
            assert not condition
            assert not {"kms:Sign", "kms:Decrypt", "kms:CreateGrant", "kms:ReEncryptFrom"} & set(actions)
            assert all("*" not in action for action in actions)
            continue
        principals = condition["ArnEquals"]["aws:PrincipalArn"]
        principals = principals if isinstance(principals, list) else [principals]
        roles = tuple(principal["Fn::GetAtt"][0] for principal in principals)
        uses |= {(action, roles, tuple(sorted(condition.get("StringEquals", {}).items()))) for action in actions}
    assert uses == KEY_USERS[key]


# Which kinds of item (key prefixes) of the tokens table each function may touch, per action.
TOKENS_TABLE_KEYS = {
    "TokenFunction": {"dynamodb:BatchGetItem": {"family#*", "ipfail#*", "lock#*", "code#*"},
                      "dynamodb:PutItem": {"family#*", "revoked#*"},
                      # passcode#: the passcode sign-in spends a code's try and uses the right code up
                      "dynamodb:UpdateItem": {"family#*", "lock#*", "ipfail#*", "code#*", "passcode#*"},
                      "dynamodb:DeleteItem": {"passcode#*"},
                      "dynamodb:BatchWriteItem": {"lock#*"}},
    "SelfServiceFunction": {
        "dynamodb:GetItem": {"pwreset#*", "revoked#*", "ipfail#*", "lock#*"},
        "dynamodb:BatchGetItem": {"pwreset#*", "revoked#*", "ipfail#*", "lock#*"},
        "dynamodb:PutItem": {"passcode#*", "pwreset#*"},
        "dynamodb:UpdateItem": {"passcode#*", "sendgap#*", "sendday#*", "sendip#*", "smsday#*", "lock#*", "ipfail#*"},
        "dynamodb:DeleteItem": {"passcode#*", "pwreset#*", "lock#*"},
        "dynamodb:BatchWriteItem": {"lock#*"}},
    "SessionFunction": {"dynamodb:BatchGetItem": {"family#*", "revoked#*", "ipfail#*"},
                        "dynamodb:PutItem": {"revoked#*"}, "dynamodb:UpdateItem": {"family#*", "ipfail#*"},
                        "dynamodb:DeleteItem": {"bsession#*"}},
    "AuthorizeFunction": {
        "dynamodb:BatchGetItem": {"bsession#*", "interaction#*", "consent#*", "ipfail#*", "lock#*"},
        "dynamodb:PutItem": {"bsession#*", "interaction#*", "code#*", "consent#*"},
        "dynamodb:UpdateItem": {"bsession#*", "lock#*", "ipfail#*", "interaction#*"},
        "dynamodb:DeleteItem": {"bsession#*", "interaction#*"}, "dynamodb:BatchWriteItem": {"lock#*"}},
}


@pytest.mark.parametrize("function", sorted(TOKENS_TABLE_KEYS))
def test_tokens_table_actions_are_limited_to_their_kinds_of_item(cfn, function):
    limited = {}
    for statement in _statements(cfn, function):
        if statement["Resource"] == {"Fn::GetAtt": ["TokensTable", "Arn"]}:
            prefixes = set(statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
            limited.update({action: prefixes for action in statement["Action"]})
    assert limited == TOKENS_TABLE_KEYS[function]


# What each function may change in the users table: only user items (never an identifier item, which points a
# username, email or phone at a user), only these attributes (the key included, as AWS requires), and no update that
# reads back other attributes (ReturnValues ALL_OLD / ALL_NEW).
# The functions whose logins may create a user from the upstream's answer (login/upstream.py).
LAZY_MIGRATION_FUNCTIONS = ("TokenFunction", "AuthorizeFunction")
PASSWORD_HASH_UPGRADES = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["user#*"]},
                          "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "password_hash"]},
                          "StringEquals": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]}}
USERS_TABLE_UPDATES = {
    "TokenFunction": PASSWORD_HASH_UPGRADES,
    "AuthorizeFunction": PASSWORD_HASH_UPGRADES,
    "SessionFunction": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["user#*"],
                                                    "dynamodb:Attributes": ["pk", "session_epoch", "session_epoch#*"]},
                        "StringEquals": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]}},
}


@pytest.mark.parametrize("function", sorted(USERS_TABLE_UPDATES))
def test_users_table_updates_are_limited_to_user_items_and_their_attributes(cfn, function):
    updates = [statement for statement in _statements(cfn, function)
               if statement["Resource"] == {"Fn::GetAtt": ["UsersTable", "Arn"]}
               and "dynamodb:UpdateItem" in statement["Action"]]
    assert [statement["Action"] for statement in updates] == [["dynamodb:UpdateItem"]]
    assert updates[0]["Condition"] == USERS_TABLE_UPDATES[function]
    for statement in _statements(cfn, function):  # and no other statement writes a user item, but the lazy
        if statement["Resource"] == {"Fn::GetAtt": ["UsersTable", "Arn"]} and statement != updates[0]:  # migration's
            assert statement["Action"] in (["dynamodb:BatchGetItem"], ["dynamodb:PutItem"])
            if statement["Action"] == ["dynamodb:PutItem"]:  # creation of a user and its identifier items only
                assert statement["Sid"] == "CreateMigratedUsers" and function in LAZY_MIGRATION_FUNCTIONS


def test_only_the_sending_function_may_send_and_only_as_the_sender_identity(cfn):
    parameters = {"EmailSender": "no-reply@auth.example.com", "EmailConfigurationSet": "codes"}
    sends = {function: {grant for grant in _grants(cfn, function, parameters) if grant[1].startswith(("ses:", "sns:"))}
             for function in template.functions(cfn)}
    prefix = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
    assert sends.pop("SelfServiceFunction") == {
        (prefix + "identity/${EmailSender}", "ses:SendEmail"), (prefix + "identity/${Domain}", "ses:SendEmail"),
        (prefix + "configuration-set/${EmailConfigurationSet}", "ses:SendEmail"), ("*", "sns:Publish")}
    assert all(not granted for granted in sends.values()), sends
    # no sender configured: no SES permission at all
    assert not {grant for grant in _grants(cfn, "SelfServiceFunction") if grant[1].startswith("ses:")}


def test_every_function_is_covered_by_the_least_privilege_table(cfn):
    assert set(template.functions(cfn)) == set(LEAST_PRIVILEGE)


@pytest.mark.parametrize("private_secret", ["SigningKeySecret", "PasswordKeysSecret"])
def test_only_the_token_and_rotation_functions_may_read_a_private_key(cfn, private_secret):
    readers = [
        name for name, resource in cfn["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function" and (private_secret, "secretsmanager:GetSecretValue")
        in _grants(cfn, name)
    ]
    # SelfServiceFunction decrypts a password sent encrypted to be set (sign-up, reset, change); it never signs
    assert readers == (["TokenFunction", "SelfServiceFunction", "RotateKeysFunction"]
                       if private_secret == "PasswordKeysSecret" else ["TokenFunction", "RotateKeysFunction"])


def test_resolver_builds_the_default_issuer_from_the_api(cfn):
    environment = template.functions(cfn)["TokenFunction"].environment
    resolver = template.Resolver(cfn, {}, {"HttpApi": "abc123"})
    assert resolver.resolve(environment["ISSUER"]) == "https://abc123.execute-api.us-east-1.amazonaws.com/oidc"
    resolver = template.Resolver(cfn, {"IssuerUrl": "https://auth.example.com/oidc"}, {"HttpApi": "abc123"})
    assert resolver.resolve(environment["ISSUER"]) == "https://auth.example.com/oidc"


def test_an_aws_outage_answers_before_the_function_times_out(cfn):
    from oidc_core import aws

    timeout = cfn["Globals"]["Function"]["Timeout"]
    worst_call = aws.MAX_ATTEMPTS * (aws.CONNECT_TIMEOUT + aws.READ_TIMEOUT) + 1  # + the retry's backoff
    assert worst_call <= timeout - 3  # margin for the rest of the request
    config = aws._CLIENT_CONFIG  # what every client is made with
    assert (config.connect_timeout, config.read_timeout) == (aws.CONNECT_TIMEOUT, aws.READ_TIMEOUT)
    assert config.retries == {"mode": "standard", "total_max_attempts": aws.MAX_ATTEMPTS}


def test_keys_are_rotated_by_secrets_manager_on_a_schedule(cfn):
    schedules = template.resources_of_type(cfn, "AWS::SecretsManager::RotationSchedule")
    assert {properties["SecretId"]["Ref"] for properties in schedules.values()} == {
        "SigningKeySecret", "PasswordKeysSecret"}
    for properties in schedules.values():
        assert properties["RotationLambdaARN"] == {"Fn::GetAtt": ["RotateKeysFunction", "Arn"]}
        assert properties["RotationRules"] == {"ScheduleExpression": {"Fn::Sub": "rate(${KeyRotationDays} days)"}}
        assert properties.get("RotateImmediatelyOnUpdate", True)  # the stack's creation makes the first keys
    assert cfn["Parameters"]["KeyRotationDays"]["Default"] == 90
    permission = cfn["Resources"]["RotateKeysPermission"]["Properties"]
    assert permission["Principal"] == "secretsmanager.amazonaws.com" and permission["SourceAccount"]
