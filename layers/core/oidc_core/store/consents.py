"""What a user allowed a third-party client (`pk = consent#<sub>#<client_id>` in the tokens table): the scopes,
remembered so the consent page is asked once per client and again only for more scopes or with prompt=consent."""

from __future__ import annotations

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import to_item


def consent_key(sub: str, client_id: str) -> dict:
    return {"pk": {"S": f"consent#{sub}#{client_id}"}}


def granted_scopes(record: dict | None) -> frozenset[str]:
    return frozenset((record or {}).get("scope", "").split())


def remember(settings: Settings, sub: str, client_id: str, scopes, now: int) -> None:
    record = {"pk": consent_key(sub, client_id)["pk"]["S"], "scope": " ".join(sorted(set(scopes))), "granted_at": now}
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record))
