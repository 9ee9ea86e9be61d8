"""Pending authorization requests (`pk = interaction#<id>` in the tokens table), for the ten minutes a user may take
on the login and consent pages.

/oidc/auth validates the request and keeps what it decided here; the page's form carries the interaction id and a
CSRF token. The interaction is bound to the browser it was shown to: the item keeps the SHA-256 of that browser's
binding cookie (set with the page, HttpOnly), so the form's hidden fields replayed from another browser log nobody
in there (login CSRF, RFC 6749 §10.12). Only digests of the CSRF token and the cookie are stored.

The item also keeps where the interaction is in the interaction policy (interaction.policy): the step whose page
was shown, the check that asked for it (`reason`), and the results of the steps done (`results`: after the login,
`{"login": {sub, sid, auth_time, user_epoch, amr}}`). A step after the login is reached by a See Other and a GET
(post-redirect-get), so that a reload shows it again: each showing gets a new CSRF token (`show`), since the stored
digest cannot give the old one back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import from_item, to_item

TTL_SECONDS = 600
BROWSER_COOKIE_NAME = "oidc_browser"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")  # fullmatch: `$` would let a trailing newline through


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("ascii")).hexdigest()


def well_formed(value: str | None) -> bool:
    return bool(value) and bool(_TOKEN.fullmatch(value))


def new_browser_binding() -> str:
    return secrets.token_urlsafe(32)


def interaction_key(interaction_id: str) -> dict:
    return {"pk": {"S": f"interaction#{interaction_id}"}}


@dataclass(frozen=True)
class Interaction:
    interaction_id: str
    request: dict  # the validated authorization request (interaction.request.AuthorizationRequest.stored)
    browser_digest: str
    csrf_digest: str
    expires_at: int
    step: str = "login"  # the step of the interaction policy whose page was shown
    reason: str = ""  # the check of that step that asked for it
    results: dict = field(default_factory=dict)  # the steps done, by name

    @property
    def login(self) -> dict | None:
        return self.results.get("login")

    @classmethod
    def from_record(cls, record: dict) -> Interaction:
        return cls(interaction_id=record["pk"].removeprefix("interaction#"), request=json.loads(record["request"]),
                   browser_digest=record["browser_digest"], csrf_digest=record["csrf_digest"],
                   expires_at=int(record["expires_at"]), step=record.get("step", "login"),
                   reason=record.get("reason", ""), results=json.loads(record.get("results") or "{}"))

    def belongs_to(self, browser_binding: str | None, csrf_token: str | None, now: int) -> bool:
        """The POST comes from the browser the page was shown to, with the page's token, in time."""
        if not well_formed(browser_binding) or not well_formed(csrf_token) or now >= self.expires_at:
            return False
        browser_ok = hmac.compare_digest(_digest(browser_binding), self.browser_digest)
        csrf_ok = hmac.compare_digest(_digest(csrf_token), self.csrf_digest)
        return browser_ok and csrf_ok


def start(settings: Settings, request: dict, browser_binding: str, now: int, *, step: str, reason: str,
          results: dict | None = None) -> tuple[str, str]:
    """A new interaction at `step` (asked for by the check `reason`), after the steps in `results`; returns (its
    id, the CSRF token of its page)."""
    interaction_id, csrf_token = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    record = {"pk": interaction_key(interaction_id)["pk"]["S"], "request": json.dumps(request),
              "browser_digest": _digest(browser_binding), "csrf_digest": _digest(csrf_token),
              "expires_at": now + TTL_SECONDS, "step": step, "reason": reason,
              "results": json.dumps(results) if results else None}
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record),
                                        ConditionExpression="attribute_not_exists(pk)")
    return interaction_id, csrf_token


def show(settings: Settings, interaction_id: str, browser_binding: str, now: int) -> tuple[Interaction, str] | None:
    """A step after the login shown (again) to the browser the interaction is bound to, while it lasts: the
    interaction and the CSRF token of this showing (the one the page showed before stops working). None for another
    browser, an expired or answered interaction, or one still waiting for its login."""
    csrf_token = secrets.token_urlsafe(32)
    client = aws.client("dynamodb")
    with aws.dependency("dynamodb"):
        try:
            # DynamoDB compares the stored digest, not our code: nothing here times a comparison of a secret
            answer = client.update_item(
                TableName=settings.tokens_table, Key=interaction_key(interaction_id),
                UpdateExpression="SET csrf_digest = :csrf",
                ConditionExpression="browser_digest = :browser AND expires_at > :now AND attribute_exists(results)",
                ExpressionAttributeValues={":csrf": {"S": _digest(csrf_token)},
                                           ":browser": {"S": _digest(browser_binding)}, ":now": {"N": str(now)}},
                ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            return None
    return Interaction.from_record(from_item(answer["Attributes"])), csrf_token


class AlreadyFinished(Exception):
    """Another request finished the interaction first: its answer, not this one, is the form's."""


def finish(settings: Settings, interaction_id: str) -> None:
    """Used up: the same form cannot be posted twice. The delete is conditional, so that of two posts of one form
    racing past the read, exactly one finishes it; the other raises AlreadyFinished and must answer nothing it
    made meanwhile (a code, a session cookie)."""
    client = aws.client("dynamodb")
    with aws.dependency("dynamodb"):
        try:
            client.delete_item(TableName=settings.tokens_table, Key=interaction_key(interaction_id),
                               ConditionExpression="attribute_exists(pk)")
        except client.exceptions.ConditionalCheckFailedException:
            raise AlreadyFinished() from None
