"""Every AWS call a function makes is one its IAM policy in template.yaml allows.

moto does not enforce IAM, so a call the policy forgot passes every other test and is denied in AWS (a GetItem of the
account lock once made every deployed login a 503). Here each function's traffic, driven through its real handler,
is recorded with botocore's hooks, attributed to the function, and checked against the statements the template gives
its role: the action, the resource, and for the tokens table the kinds of item (dynamodb:LeadingKeys).
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid

import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, basic_auth, configure
from oidc_core import aws
from oidc_core.keys import keyring
from oidc_tools import template
from oidc_tools.local.lambda_events import LambdaContext

ALL_KEYS_IN_KMS = {"SigningKeySource": "KMS", "RsaPasswordKeySource": "KMS", "Sm2PasswordKeySource": "KMS"}
SENDER = "no-reply@auth.example.test"
IAM_PREFIX = {"sesv2": "ses"}  # IAM names SES v2's actions ses:…


class Recorder:
    """(function, service, operation, params) of every call a handler makes (the test's own setup, as an operator's
    oidc-admin would do it, is not a function's)."""

    def __init__(self):
        self.function: str | None = None
        self.calls: list[tuple[str, str, str, dict]] = []

    def __call__(self, params, model, **_):
        if self.function:
            self.calls.append((self.function, model.service_model.service_name, model.name, params))

    def run(self, function: str, handler, event):
        """One request, its keys read afresh: in one process the functions share the key caches, and a key one of
        them cached would hide another's read of it."""
        keyring.clear_cache()
        self.function = function
        try:
            return handler(event, LambdaContext(function))
        finally:
            self.function = None


def _physical_to_logical(stack) -> dict[str, str]:
    names = {}
    for function in stack.environments.values():
        for variable, logical_id in (("USERS_TABLE", "UsersTable"), ("CLIENTS_TABLE", "ClientsTable"),
                                     ("TOKENS_TABLE", "TokensTable"), ("SIGNING_KEY_SECRET_ID", "SigningKeySecret"),
                                     ("PASSWORD_KEYS_SECRET_ID", "PasswordKeysSecret"),
                                     ("PUBLIC_KEYS_SECRET_ID", "PublicKeysSecret"),
                                     ("AUDIT_KEY_SECRET_ID", "AuditKeySecret"),
                                     ("UPSTREAM_SECRET_ID", "UpstreamSecret"),
                                     ("ORIGIN_SECRET_ID", "OriginSecret"),
                                     ("SIGNING_KMS_KEY_ID", "SigningKmsKey"),
                                     ("RSA_PASSWORD_KMS_KEY_ID", "RsaPasswordKmsKey"),
                                     ("SM2_PASSWORD_KMS_KEY_ID", "Sm2PasswordKmsKey")):
            if function.get(variable):
                names[function[variable]] = logical_id
    return names


def _touched(service: str, params: dict) -> list[tuple[str, list[str]]]:
    """(resource name, partition keys) of a call: tables with the keys it names, a secret, a KMS key, the SES sender
    identity (its parameter), SNS's "*" (an SMS to a phone number has no resource of its own)."""
    if service == "sesv2":
        return [("EmailSender", [])]
    if service == "sns":
        return [("*", [])]
    if service == "secretsmanager":
        return [(params["SecretId"], [])]
    if service == "kms":
        return [(params["KeyId"], [])]
    if "RequestItems" in params:
        if isinstance(next(iter(params["RequestItems"].values())), list):  # BatchWriteItem: puts and deletes
            return [(table, [(write.get("DeleteRequest", {}).get("Key") or write["PutRequest"]["Item"])["pk"]["S"]
                             for write in writes]) for table, writes in params["RequestItems"].items()]
        return [(table, [key["pk"]["S"] for key in request["Keys"] if "pk" in key])
                for table, request in params["RequestItems"].items()]
    if "TransactItems" in params:
        return [(item["TableName"], [(item.get("Key") or item.get("Item"))["pk"]["S"]])
                for operation in params["TransactItems"] for item in operation.values()]
    key = params.get("Key") or params.get("Item") or {}
    return [(params["TableName"], [key["pk"]["S"]] if "pk" in key else [])]


# Words of DynamoDB's expression grammar that are not attribute names.
_EXPRESSION_WORDS = {"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN", "attribute_exists",
                     "attribute_not_exists", "attribute_type", "begins_with", "contains", "size", "if_not_exists",
                     "list_append"}
_EXPRESSION_NAME = re.compile(r"(?<![\w:#])#?[A-Za-z_]\w*")


def _attributes(params: dict) -> list[str]:
    """dynamodb:Attributes of a request: the key's attributes and every attribute its expressions name (a conditional
    write reads what its condition tests), placeholders resolved."""
    names = params.get("ExpressionAttributeNames", {})
    found = set((params.get("Key") or params.get("Item") or {}).keys())
    for name in ("UpdateExpression", "ConditionExpression", "ProjectionExpression"):
        for word in _EXPRESSION_NAME.findall(params.get(name) or ""):
            if word not in _EXPRESSION_WORDS:
                found.add(names[word] if word.startswith("#") else word)
    return sorted(found)


def _request_context(operation: str, params: dict, keys: list[str]) -> dict[str, list[str] | None]:
    """The DynamoDB condition keys of a request, as IAM sees them (UpdateItem's ReturnValues is NONE unless sent)."""
    return {"dynamodb:LeadingKeys": keys, "dynamodb:Attributes": _attributes(params),
            "dynamodb:ReturnValues": [params.get("ReturnValues", "NONE")] if operation in (
                "UpdateItem", "PutItem", "DeleteItem") else None,
            "dynamodb:Select": [params["Select"]] if "Select" in params else None}


def _condition_holds(operator: str, key: str, allowed, context: dict) -> bool:
    allowed = allowed if isinstance(allowed, list) else [allowed]
    values = context.get(key, "unknown")
    if values == "unknown":
        raise AssertionError(f"the checker does not know the condition key {key}: teach it before using it")
    like = "StringLike" in operator
    match = (lambda value: any(fnmatch.fnmatchcase(value, pattern) for pattern in allowed)) if like else (
        lambda value: value in allowed)
    if operator in ("ForAllValues:StringLike", "ForAllValues:StringEquals"):
        return all(match(value) for value in values or [])
    if operator in ("StringEquals", "StringLike"):
        return values is not None and len(values) == 1 and match(values[0])
    if operator in ("StringEqualsIfExists", "StringLikeIfExists"):
        return values is None or all(match(value) for value in values)
    raise AssertionError(f"the checker does not know the condition operator {operator}: teach it before using it")


def _resource_name(item) -> str | None:
    """The logical id or parameter a statement's resource names: a Ref, a GetAtt, the identity of an SES ARN."""
    if isinstance(item, str):
        return item
    if "Fn::Sub" in item and isinstance(item["Fn::Sub"], str):
        return re.search(r"identity/\$\{(\w+)\}$", item["Fn::Sub"]).group(1) if "identity/" in item["Fn::Sub"] else None
    return item.get("Ref") or item.get("Fn::GetAtt", [None])[0]


def _allowed(statements: list[dict], action: str, resource: str, context: dict) -> bool:
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if action not in actions:
            continue
        if resource not in {_resource_name(item) for item in resources}:
            continue
        if not action.startswith("dynamodb:"):
            return True  # the KMS and secret conditions are the key policies' (test_jwk_and_template.py)
        conditions = statement.get("Condition", {})
        if all(_condition_holds(operator, key, allowed, context)
               for operator, keys in conditions.items() for key, allowed in keys.items()):
            return True
    return False


def _every_kind_of_request(recorder: Recorder, handlers: dict, stack, password_form, user, lazily: bool) -> None:
    from helpers import get_event, token_event
    from oidc_tools.local.lambda_events import http_api_event

    def token(form, **kwargs):
        return recorder.run("TokenFunction", handlers["TokenFunction"], token_event(form, **kwargs))

    def session(method, path, form=None, headers=None, query=""):
        from urllib.parse import urlencode

        event = http_api_event(method, path, route_key=f"{method} {path}", query=query,
                               headers=list({"content-type": "application/x-www-form-urlencoded",
                                             **(headers or {})}.items()),
                               body=urlencode(form or {}).encode())
        return recorder.run("SessionFunction", handlers["SessionFunction"], event)

    login = token(password_form(scope="openid profile offline_access"))
    assert login["statusCode"] == 200, login

    tokens = json.loads(login["body"])
    assert token(password_form(password="wrong"))["statusCode"] == 400
    assert token(password_form(username="nobody"))["statusCode"] == 400
    assert token(password_form(password="not a ciphertext", password_encrypt_type="rsa"))["statusCode"] == 400
    from cryptography.hazmat.primitives import serialization

    from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

    system = json.loads(recorder.run("DiscoveryFunction", handlers["DiscoveryFunction"],
                                     get_event("/api/v3/system"))["body"])
    rsa_public = serialization.load_pem_public_key(system["rsa"]["publicKey"].encode())
    for encrypt_type, ciphertext in (
            ("rsa", rsa_encrypt("wrong", rsa_public, oaep=system["rsa"]["padding"] == "oaep-sha256")),
            ("sm2", sm2_encrypt(b"wrong", system["sm2"]["publicKey"]))):
        assert token(password_form(password=ciphertext, password_encrypt_type=encrypt_type))["statusCode"] == 400
    assert token({"grant_type": "password"}, authorization=basic_auth(CLIENT_ID, "nope"))["statusCode"] == 401
    # a request claiming to come through the proxy: the origin secret is read to check it (only while hops are set)
    through_proxy = token_event({"grant_type": "password"}, authorization=basic_auth(CLIENT_ID, "nope"))
    through_proxy["headers"].update({"x-origin-verify": "a guess", "x-forwarded-for": "203.0.113.9"})
    assert recorder.run("TokenFunction", handlers["TokenFunction"], through_proxy)["statusCode"] == 401
    refreshed = token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                       "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert refreshed["statusCode"] == 200, refreshed
    assert token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],  # reuse: revokes
                  "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})["statusCode"] == 400
    from oidc_tools.stack.operations import create_client

    create_client(stack.target, "machine", "machine-secret-0123456789", scopes=["orders:read"],
                  grant_types=["client_credentials"])
    assert token({"grant_type": "client_credentials", "client_id": "machine",
                  "client_secret": "machine-secret-0123456789"})["statusCode"] == 200
    signin = http_api_event("POST", "/api/v3/signin", route_key="POST /api/v3/signin",
                            headers=[("content-type", "application/json"), ("x-authing-app-id", CLIENT_ID)],
                            body=json.dumps({"connection": "PASSWORD", "passwordPayload": {
                                "account": "alice", "password": "wrong"}}).encode())
    recorder.run("TokenFunction", handlers["TokenFunction"], signin)

    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    client_form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert session("GET", "/oidc/me", headers=bearer)["statusCode"] == 200
    assert session("POST", "/oidc/token/introspection", {**client_form, "token": tokens["access_token"]})[
        "statusCode"] == 200
    assert session("POST", "/oidc/token/revocation", {**client_form, "token": tokens["access_token"]})[
        "statusCode"] == 200
    assert session("POST", "/oidc/token/revocation", {"client_id": CLIENT_ID, "client_secret": "nope",
                                                       "token": "x"})["statusCode"] == 401
    fresh = json.loads(token(password_form(scope="openid offline_access"))["body"])
    assert session("POST", "/oidc/token/revocation", {**client_form, "token": fresh["refresh_token"]})[
        "statusCode"] == 200
    session("GET", "/oidc/session/end", query=f"id_token_hint={fresh['id_token']}")

    _browser_sign_in(recorder, handlers, stack)
    # Lazy migration: the upstream's settings read, a user created from its answer, an unknown identifier refused;
    # with LazyMigration off, the upstream is never asked, so no user is created.
    from fake_upstream import FakeUpstream
    from oidc_core.login import upstream
    from oidc_tools.stack.operations import set_upstream

    fake = FakeUpstream()
    try:
        set_upstream(stack.target, fake.issuer, "us", "our-secret")
        upstream.clear_cache()
        assert token(password_form(username="frank", password="frank-password"))["statusCode"] == (
            200 if lazily else 400)
        assert token(password_form(username="nobody-at-all", password="x"))["statusCode"] == 400
    finally:
        fake.close()
        upstream.clear_cache()

    for path in ("/oidc/.well-known/openid-configuration", "/oidc/.well-known/jwks.json", "/api/v3/system"):
        assert recorder.run("DiscoveryFunction", handlers["DiscoveryFunction"], get_event(path))["statusCode"] == 200

    for secret_id in (stack.target.signing_key_secret_id, stack.target.password_keys_secret_id):
        version = str(uuid.uuid4())
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            recorder.run("RotateKeysFunction", handlers["RotateKeysFunction"],
                         {"SecretId": secret_id, "ClientRequestToken": version, "Step": step})


def _browser_sign_in(recorder: Recorder, handlers: dict, stack) -> None:
    """The authorization code flow: login page, wrong and right password, codes redeemed and reused, a session
    reused silently with an id_token_hint, consent for a third party (after a login, and asked again), logout of the
    browser session."""
    from browser_helpers import HandlerBrowser, pkce_pair
    from helpers import PASSWORD
    from oidc_tools.stack.operations import create_client

    app = "https://app.example.test/callback"
    create_client(stack.target, "spa", auth_method="none", grant_types=("authorization_code", "refresh_token"),
                  redirect_uris=(app,))
    create_client(stack.target, "partner", auth_method="none", grant_types=("authorization_code",),
                  redirect_uris=(app,), third_party=True)
    recorded = {name: (lambda event, context, name=name: recorder.run(name, handlers[name], event))
                for name in handlers}
    browser = HandlerBrowser(recorded)

    def authorize(client_id="spa", **extra):
        verifier, challenge = pkce_pair()
        return verifier, browser.authorize(client_id=client_id, redirect_uri=app, response_type="code",
                                           scope="openid offline_access", code_challenge=challenge,
                                           code_challenge_method="S256", **extra)

    verifier, page = authorize()
    page = browser.login(page, "alice", "wrong")
    answer = browser.login(page, "alice", PASSWORD)
    code = answer.callback()["code"]
    redeem = {"grant_type": "authorization_code", "code": code, "redirect_uri": app, "client_id": "spa",
              "code_verifier": verifier}
    tokens = json.loads(browser.token(redeem).text)
    assert browser.token(redeem).status == 400  # reused: revokes what the first redemption issued
    _, page = authorize(prompt="none", id_token_hint=tokens["id_token"])
    assert "code" in page.callback()
    _, page = authorize("partner", prompt="login")
    shown = browser.follow(browser.login(page, "alice", PASSWORD))  # the consent page after a login is a GET
    assert browser.submit(shown, "/oidc/consent", decision="allow").status == 303
    _, page = authorize("partner", prompt="consent")
    assert browser.submit(page, "/oidc/consent", decision="allow").status == 303
    browser.request("GET", "/oidc/session/end", query=f"id_token_hint={tokens['id_token']}")


def _self_service(recorder: Recorder, handlers: dict) -> None:
    """Authing's v3 self-service calls: codes sent by email and SMS to known and unknown addresses, sign-ups by
    password (plain and RSA-encrypted) and by code, a taken address, a reset, a password change, a passcode sign-in."""
    import re as regex

    import boto3

    from helpers import PASSWORD
    from oidc_tools.local import outbox
    from oidc_tools.client_encryption import rsa_encrypt
    from oidc_tools.local.lambda_events import http_api_event
    from cryptography.hazmat.primitives import serialization

    outbox.install()
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)

    def v3(path, document, headers=None):
        function = "TokenFunction" if path == "/api/v3/signin" else "SelfServiceFunction"
        event = http_api_event("POST", path, route_key=f"POST {path}", body=json.dumps(document).encode(),
                               headers=[("content-type", "application/json"), ("x-authing-app-id", CLIENT_ID),
                                        *(headers or {}).items()])
        reply = recorder.run(function, handlers[function], event)
        return reply["statusCode"], json.loads(reply["body"])

    def code(to):
        text = next(message["text"] for message in outbox.messages() if message["to"] == to)
        return regex.search(r"(?<![0-9])[0-9]{6}(?![0-9])", text).group(0)

    for channel, email in (("CHANNEL_REGISTER", "new@example.com"), ("CHANNEL_LOGIN", "alice@example.com"),
                           ("CHANNEL_LOGIN", "nobody@example.com")):
        assert v3("/api/v3/send-email", {"channel": channel, "email": email})[0] == 200
    assert v3("/api/v3/send-sms", {"channel": "CHANNEL_REGISTER", "phoneNumber": "+8613900139000"})[0] == 200
    assert v3("/api/v3/send-sms", {"channel": "CHANNEL_REGISTER", "phoneNumber": "+12025550123"})[0] == 400
    assert v3("/api/v3/signup", {"connection": "PASSCODE", "passCodePayload": {
        "email": "new@example.com", "passCode": code("new@example.com")}})[0] == 200
    system = json.loads(recorder.run("DiscoveryFunction", handlers["DiscoveryFunction"],
                                     _get_event("/api/v3/system"))["body"])
    rsa_public = serialization.load_pem_public_key(system["rsa"]["publicKey"].encode())
    encrypted = rsa_encrypt("a long enough password", rsa_public, oaep=system["rsa"]["padding"] == "oaep-sha256")
    assert v3("/api/v3/signup", {"connection": "PASSWORD", "passwordPayload": {
        "username": "newbie", "password": encrypted}, "options": {"passwordEncryptType": "rsa"}})[0] == 200
    assert v3("/api/v3/signup", {"connection": "PASSWORD", "passwordPayload": {
        "email": "alice@example.com", "password": "a long enough password"}})[0] == 200  # taken: answers alike
    assert v3("/api/v3/signin", {"connection": "PASSCODE", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                 "passCodePayload": {"email": "alice@example.com", "passCode": "000000"}})[0] == 400
    status, signed_in = v3("/api/v3/signin", {"connection": "PASSCODE", "client_id": CLIENT_ID,
                                              "client_secret": CLIENT_SECRET, "passCodePayload": {
                                                  "email": "alice@example.com",
                                                  "passCode": code("alice@example.com")}})
    assert status == 200, signed_in
    # the reset code after the sign-in: code() reads the newest message to an address
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_RESET_PASSWORD", "email": "alice@example.com"})[0] == 200
    status, verified = v3("/api/v3/verify-reset-password-request", {
        "verifyMethod": "EMAIL_PASSCODE", "emailPassCodePayload": {"email": "alice@example.com",
                                                                   "passCode": code("alice@example.com")}})
    assert status == 200, verified
    assert v3("/api/v3/reset-password", {"password": "a brand new password",
                                         "passwordResetToken": verified["data"]["passwordResetToken"]})[0] == 200
    status, signed_in = v3("/api/v3/signin", {"connection": "PASSWORD", "client_id": CLIENT_ID,
                                              "client_secret": CLIENT_SECRET, "passwordPayload": {
                                                  "account": "alice", "password": "a brand new password"}})
    token = {"authorization": signed_in["data"]["access_token"]}
    assert v3("/api/v3/update-password", {"oldPassword": "wrong", "newPassword": PASSWORD}, token)[0] == 400
    assert v3("/api/v3/update-password", {"oldPassword": "a brand new password", "newPassword": PASSWORD},
              token)[0] == 200


def _get_event(path):
    from helpers import get_event

    return get_event(path)


LAZY_MIGRATION = {"LazyMigration": "true", "TrustedProxyHops": "1"}


@pytest.mark.parametrize("stack_parameters", [{**LAZY_MIGRATION, "EmailSender": SENDER},
                                              {**ALL_KEYS_IN_KMS, "EmailSender": SENDER}],
                         ids=["secrets-manager-lazy-migration", "kms-no-lazy-migration"])
def test_every_call_a_function_makes_is_allowed_by_its_policy(stack, handlers, client, user, password_form,
                                                              stack_parameters, monkeypatch):
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=0,  # a reused refresh token revokes its family at once
              ARGON2_ITERATIONS=3)  # above the user's stored hash: the first login upgrades it
    recorder = Recorder()
    lazily = stack_parameters.get("LazyMigration") == "true"
    services = ("dynamodb", "secretsmanager", "kms", "sesv2", "sns")
    for service in services:
        aws.client(service).meta.events.register("provide-client-params", recorder)
    try:
        _every_kind_of_request(recorder, handlers, stack, password_form, user, lazily)
        _self_service(recorder, handlers)
    finally:
        for service in services:
            aws.client(service).meta.events.unregister("provide-client-params", recorder)

    cfn = template.load()
    names = _physical_to_logical(stack)
    statements = {function: template.policy_statements(cfn, function, stack_parameters)
                  for function in template.functions(cfn)}
    denied, seen = [], set()
    # IAM has no action for a transaction: each of its items needs the action of its kind
    item_actions = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
    for function, service, operation, params in recorder.calls:
        operations = ([item_actions[next(iter(item))] for item in params["TransactItems"]]
                      if operation == "TransactWriteItems" else None)
        for index, (resource, keys) in enumerate(_touched(service, params)):
            logical_id = names.get(resource, resource)
            action = f"{IAM_PREFIX.get(service, service)}:{operations[index] if operations else operation}"
            seen.add((function, action))
            seen.add((function, action, logical_id))
            context = _request_context(operation, params, keys) if service == "dynamodb" else {}
            if not _allowed(statements[function], action, logical_id, context):
                denied.append((function, action, logical_id, sorted({key.split("#")[0] for key in keys}),
                               context.get("dynamodb:Attributes")))
    assert not denied, denied
    # the traffic reached every function and the calls that matter most
    assert {function for function, *_ in seen} == set(statements)
    expected = {("TokenFunction", "dynamodb:BatchGetItem"), ("TokenFunction", "dynamodb:UpdateItem"),
                ("SessionFunction", "dynamodb:BatchGetItem"), ("RotateKeysFunction", "secretsmanager:PutSecretValue"),
                ("TokenFunction", "dynamodb:PutItem"), ("TokenFunction", "secretsmanager:GetSecretValue"),
                ("AuthorizeFunction", "dynamodb:PutItem"), ("AuthorizeFunction", "dynamodb:DeleteItem"),
                ("SessionFunction", "dynamodb:DeleteItem"),
                # the attribute-level grants: a password hash upgraded, a user's sessions ended
                ("TokenFunction", "dynamodb:UpdateItem", "UsersTable"),
                ("TokenFunction", "dynamodb:BatchWriteItem"), ("AuthorizeFunction", "dynamodb:BatchWriteItem"),
                ("SessionFunction", "dynamodb:UpdateItem", "UsersTable"),
                # the self-service calls: codes sent, a user created, a password set, a code used up at sign-in
                ("SelfServiceFunction", "ses:SendEmail", "EmailSender"), ("SelfServiceFunction", "sns:Publish", "*"),
                ("SelfServiceFunction", "dynamodb:PutItem", "UsersTable"),
                ("SelfServiceFunction", "dynamodb:UpdateItem", "UsersTable"),
                ("SelfServiceFunction", "dynamodb:DeleteItem", "TokensTable"),
                ("TokenFunction", "dynamodb:DeleteItem", "TokensTable")}
    reads_origin_secret = ("TokenFunction", "secretsmanager:GetSecretValue", "OriginSecret")
    assert (reads_origin_secret in seen) is (stack_parameters.get("TrustedProxyHops") == "1")
    migration = {("TokenFunction", "dynamodb:PutItem", "UsersTable"),
                 ("TokenFunction", "secretsmanager:GetSecretValue", "UpstreamSecret")}
    assert migration <= seen if lazily else not migration & seen
    if not lazily and stack_parameters.get("SigningKeySource") == "KMS":
        # every key in KMS and no upstream to read: TokenFunction's only secret was the upstream's
        expected.discard(("TokenFunction", "secretsmanager:GetSecretValue"))
    if stack_parameters.get("SigningKeySource") == "KMS":
        expected |= {("TokenFunction", "kms:Sign"), ("TokenFunction", "kms:Decrypt"),
                     ("SelfServiceFunction", "kms:Decrypt"),
                     ("DiscoveryFunction", "kms:GetPublicKey"), ("AuthorizeFunction", "kms:GetPublicKey")}
    assert expected <= seen


@pytest.mark.parametrize("lazily", [True, False], ids=["lazy-migration", "no-lazy-migration"])
def test_only_lazy_migration_may_create_users_or_read_the_upstream(lazily):
    """Issue 23 point 4: a function that checks passwords holds PutItem on user and identifier items (which IAM cannot
    limit to free keys: such a function could point an identifier at another user) only while LazyMigration is on."""
    cfn = template.load()
    context = {"dynamodb:LeadingKeys": ["email#victim@example.com"], "dynamodb:Attributes": ["pk", "sub"],
               "dynamodb:ReturnValues": ["NONE"], "dynamodb:Select": None}
    for function in ("TokenFunction", "AuthorizeFunction"):
        statements = template.policy_statements(cfn, function, {"LazyMigration": "true" if lazily else "false"})
        assert _allowed(statements, "dynamodb:PutItem", "UsersTable", context) is lazily, function
        assert _allowed(statements, "secretsmanager:GetSecretValue", "UpstreamSecret", {}) is lazily, function
    # sign-up creates users: only a stack that lets people sign up (SelfSignUp) holds that grant
    for sign_up in ("true", "false"):
        statements = template.policy_statements(cfn, "SelfServiceFunction", {"SelfSignUp": sign_up})
        assert _allowed(statements, "dynamodb:PutItem", "UsersTable", context) is (sign_up == "true")
    for function in set(template.functions(cfn)) - {"TokenFunction", "AuthorizeFunction", "SelfServiceFunction"}:
        statements = template.policy_statements(cfn, function, {"LazyMigration": "true"})
        assert not _allowed(statements, "dynamodb:PutItem", "UsersTable", context), function


@pytest.mark.parametrize("hops", ["0", "1"])
def test_the_origin_secret_is_generated_and_read_only_where_the_address_is_derived(hops):
    """Issue 23 point 1: the proxy's origin secret is one the stack generates (no template default anyone can read),
    exists only while proxies are trusted, and only the functions that derive a caller's address may read it."""
    cfn = template.load()
    secret = cfn["Resources"]["OriginSecret"]
    assert "GenerateSecretString" in secret["Properties"] and "SecretString" not in secret["Properties"]
    assert template.Resolver(cfn, {"TrustedProxyHops": hops}, {}).condition(secret["Condition"]) is (hops == "1")
    for function in template.functions(cfn):
        statements = template.policy_statements(cfn, function, {"TrustedProxyHops": hops})
        may_read = _allowed(statements, "secretsmanager:GetSecretValue", "OriginSecret", {})
        assert may_read is (hops == "1" and function in ("TokenFunction", "SessionFunction", "AuthorizeFunction",
                                                         "SelfServiceFunction")), \
            function
