"""Ending, for good, what the tokens table holds for a user or a client that is being deleted: refresh token families
revoked, browser sessions ended, consents forgotten.

A family or a browser session already fails once its user or client is gone; but a user imported again under the
same sub (or a client registered again under the same id) would start from session epoch 0, and every family begun
before would match it again. So a deletion revokes them by name, through the store's own functions. The tokens
table has no index by sub or client: this scans it, an operator's one-off, never a request path."""

from __future__ import annotations

import time

from oidc_core import aws
from oidc_core.config import Settings, load_settings
from oidc_core.store import browser_sessions, refresh_tokens
from oidc_core.store.dynamo import from_item

FAMILY, BROWSER_SESSION, CONSENT = "family#", "bsession#", "consent#"


def _settings(tokens_table: str) -> Settings:
    # The store functions below read the tokens table's name from the settings, nothing else; the issuer is required
    # by load_settings and unused here.
    return load_settings({"ISSUER": "https://oidc-admin.invalid/oidc", "TOKENS_TABLE": tokens_table})


def _matching(tokens_table: str, attribute: str, value: str, prefixes: tuple[str, ...]):
    """Every item of the tokens table whose `attribute` is `value` and whose key starts with one of `prefixes`."""
    wanted = " OR ".join(f"begins_with(pk, :prefix{index})" for index in range(len(prefixes)))
    values = {":value": {"S": value}, **{f":prefix{index}": {"S": prefix} for index, prefix in enumerate(prefixes)}}
    paginator = aws.client("dynamodb").get_paginator("scan")
    for page in paginator.paginate(TableName=tokens_table, ConsistentRead=True,
                                   FilterExpression=f"#attribute = :value AND ({wanted})",
                                   ExpressionAttributeNames={"#attribute": attribute},
                                   ExpressionAttributeValues=values):
        yield from (from_item(item) for item in page["Items"])


def _forget_consents(tokens_table: str, prefix: str, suffix: str = "") -> int:
    """Delete the consent items whose key starts with `prefix` (and ends with `suffix`)."""
    dynamodb, forgotten = aws.client("dynamodb"), 0
    for page in dynamodb.get_paginator("scan").paginate(
            TableName=tokens_table, ConsistentRead=True, FilterExpression="begins_with(pk, :prefix)",
            ExpressionAttributeValues={":prefix": {"S": prefix}}):
        for item in page["Items"]:
            if item["pk"]["S"].endswith(suffix):
                dynamodb.delete_item(TableName=tokens_table, Key={"pk": item["pk"]})
                forgotten += 1
    return forgotten


def end_user_sessions(tokens_table: str, sub: str, reason: str) -> dict:
    """Revoke every refresh token family of the user, end every browser session, forget every consent."""
    settings, now = _settings(tokens_table), int(time.time())
    families = sessions = 0
    for record in _matching(tokens_table, "sub", sub, (FAMILY, BROWSER_SESSION)):
        if record["pk"].startswith(FAMILY):
            refresh_tokens.revoke(settings, record["pk"].removeprefix(FAMILY), reason, now)
            families += 1
        else:
            browser_sessions.end(settings, record["pk"].removeprefix(BROWSER_SESSION), sub=sub)
            sessions += 1
    consents = _forget_consents(tokens_table, f"{CONSENT}{sub}#")
    return {"refresh_token_families_revoked": families, "browser_sessions_ended": sessions,
            "consents_forgotten": consents}


def end_client_sessions(tokens_table: str, client_id: str, reason: str) -> dict:
    """Revoke every refresh token family issued to the client and forget the consents given to it. (A browser
    session is the user's, with no client in it: it stays.)"""
    settings, now = _settings(tokens_table), int(time.time())
    families = 0
    for record in _matching(tokens_table, "client_id", client_id, (FAMILY,)):
        refresh_tokens.revoke(settings, record["pk"].removeprefix(FAMILY), reason, now)
        families += 1
    consents = _forget_consents(tokens_table, CONSENT, f"#{client_id}")
    return {"refresh_token_families_revoked": families, "consents_forgotten": consents}
