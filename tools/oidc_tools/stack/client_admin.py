"""What oidc-admin does to clients beyond creating and changing them: list and delete."""

from __future__ import annotations

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store import clients
from oidc_tools.stack import sessions
from oidc_tools.stack.listing import scan_page
from oidc_tools.stack.operations import Target


def list_clients(target: Target, limit: int, after: str | None = None) -> tuple[list[clients.Client], str | None]:
    records, next_id = scan_page(target.clients_table, "client_id", limit=limit, after=after)
    return [clients.Client.from_record(record) for record in records], next_id


def delete_client(target: Target, client_id: str) -> dict:
    """Delete the client, then revoke the refresh token families issued to it and forget the consents given to it
    (so that a client registered again under the same id inherits none of them)."""
    try:
        aws.client("dynamodb").delete_item(TableName=target.clients_table, Key=clients.client_key(client_id),
                                           ConditionExpression="attribute_exists(client_id)")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise clients.NoSuchClient(f"no client {client_id!r}") from None
        raise
    return {"client_id": client_id, "deleted": True,
            **sessions.end_client_sessions(target.tokens_table, client_id, "client deleted")}
