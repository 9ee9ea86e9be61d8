"""One page of a table's records, for `oidc-admin client list` and `user list`: at most `limit` of them, and the id to
start after for the next page (None on the last). A scan: an operator's look, never a request path."""

from __future__ import annotations

from oidc_core import aws
from oidc_core.store.dynamo import from_item

# Items read per scan call: the users table holds an item per login identifier beside each user, so a page of users
# may take several calls.
_SCAN_LIMIT = 100


def scan_page(table: str, key_name: str, *, limit: int, after: str | None = None,
              key_prefix: str = "") -> tuple[list[dict], str | None]:
    """Records whose key starts with `key_prefix`, in the table's own order (DynamoDB's, not alphabetical); `after`
    and the id returned for the next page are keys without the prefix."""
    if limit < 1:
        raise ValueError("--limit must be at least 1")
    arguments: dict = {"TableName": table, "ConsistentRead": True, "Limit": max(limit, _SCAN_LIMIT)}
    if key_prefix:
        arguments.update(FilterExpression="begins_with(#key, :prefix)", ExpressionAttributeNames={"#key": key_name},
                         ExpressionAttributeValues={":prefix": {"S": key_prefix}})
    if after is not None:
        arguments["ExclusiveStartKey"] = {key_name: {"S": key_prefix + after}}
    found: list[dict] = []
    dynamodb = aws.client("dynamodb")
    while True:
        page = dynamodb.scan(**arguments)
        items = page["Items"]
        for index, item in enumerate(items):
            found.append(from_item(item))
            if len(found) == limit:
                more = index + 1 < len(items) or "LastEvaluatedKey" in page
                return found, found[-1][key_name].removeprefix(key_prefix) if more else None
        if "LastEvaluatedKey" not in page:
            return found, None
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
