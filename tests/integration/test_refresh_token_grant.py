"""grant_type=refresh_token (RFC 6749 §6) with rotation, reuse detection (RFC 9700 §4.14.2) and a grace window,
through the real TokenFunction handler against emulated DynamoDB."""

from __future__ import annotations

import hashlib
import threading
import time
from types import SimpleNamespace

import boto3
import jwt
import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, Reply, basic_auth, configure, token_event
from oidc_core.store import refresh_tokens, users
from oidc_tools import template
from oidc_tools.local.lambda_events import LambdaContext
from oidc_tools.local.stack import load_handler
from oidc_tools.stack.operations import create_client, set_password, sign_out, update_client

INVALID = {"error": "invalid_grant", "error_description": "the refresh token is invalid, expired or revoked"}


@pytest.fixture
def login(call_token, password_form, client, user):
    """A fresh login with offline_access; returns its token response."""

    def log_in(scope: str = "openid profile email offline_access", **overrides) -> dict:
        reply = call_token(password_form(scope=scope, **overrides))
        assert reply.status == 200, reply
        return reply.json()

    return log_in


@pytest.fixture
def refresh(call_token):
    def send(refresh_token: str, **extra) -> Reply:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **extra}
        return call_token({name: value for name, value in form.items() if value is not None})

    return send



def family_item(stack, refresh_token: str) -> dict:
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    items = boto3.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]
    (item,) = [item for item in items if item["pk"]["S"].startswith("family#")
               and digest in (item["live_digest"]["S"], item.get("previous_digest", {}).get("S"))]
    return item


def set_family(stack, item: dict, **values) -> None:
    boto3.client("dynamodb").update_item(
        TableName=stack.target.tokens_table, Key={"pk": item["pk"]},
        UpdateExpression="SET " + ", ".join(f"{name} = :{name}" for name in values),
        ExpressionAttributeValues={f":{name}": {"N": str(value)} for name, value in values.items()})


def test_refresh_answers_new_tokens_and_rotates(login, refresh, call_discovery, stack, user):
    first = login()
    reply = refresh(first["refresh_token"])
    assert reply.status == 200, reply
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert set(body) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "openid profile email offline_access"
    assert body["refresh_token"] != first["refresh_token"] and body["access_token"] != first["access_token"]
    jwks = call_discovery("/oidc/.well-known/jwks.json").json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    id_token = jwt.decode(body["id_token"], key, algorithms=["RS256"], audience=CLIENT_ID)
    first_id = jwt.decode(first["id_token"], key, algorithms=["RS256"], audience=CLIENT_ID)
    assert id_token["sub"] == user.sub and id_token["email"] == "Alice@Example.com"
    assert id_token["auth_time"] == first_id["auth_time"]  # refreshing is not logging in again
    # The used token is spent; the new one works.
    assert refresh(body["refresh_token"]).status == 200


def test_refresh_with_basic_auth_and_without_openid_gives_no_id_token(login, call_token):
    first = login(scope="profile offline_access")
    reply = call_token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                       authorization=basic_auth(CLIENT_ID, CLIENT_SECRET))
    assert reply.status == 200, reply
    assert "id_token" not in reply.json() and reply.json()["refresh_token"]


def test_scope_may_only_narrow(login, refresh):
    first = login(scope="openid profile offline_access")
    narrowed = refresh(first["refresh_token"], scope="openid")
    assert narrowed.status == 200 and narrowed.json()["scope"] == "openid"
    wider = refresh(narrowed.json()["refresh_token"], scope="openid email")
    assert wider.status == 400 and wider.json()["error"] == "invalid_scope"
    # The family keeps what the login granted: a later refresh without scope gets all of it again.
    again = refresh(narrowed.json()["refresh_token"])
    assert again.status == 200 and again.json()["scope"] == "openid profile offline_access"


def test_a_refresh_never_grants_a_scope_the_client_has_since_lost(login, refresh, call_discovery, stack):
    first = login(scope="openid profile email offline_access")
    update_client(stack.target, CLIENT_ID, allowed_scopes=["openid", "profile", "offline_access"])
    reply = refresh(first["refresh_token"])
    assert reply.status == 200, reply
    body = reply.json()
    assert body["scope"] == "openid profile offline_access"  # the answer says what was granted
    key = jwt.PyJWK(call_discovery("/oidc/.well-known/jwks.json").json()["keys"][0]).key
    access = jwt.decode(body["access_token"], key, algorithms=["RS256"], audience=CLIENT_ID)
    assert access["scope"] == "openid profile offline_access"
    assert "email" not in jwt.decode(body["id_token"], key, algorithms=["RS256"], audience=CLIENT_ID)
    # Asking for the lost scope again is refused like any scope the client may not use.
    again = refresh(body["refresh_token"], scope="openid email")
    assert again.status == 400 and again.json()["error"] == "invalid_scope"


def test_a_client_that_lost_offline_access_redeems_no_refresh_token(login, refresh, stack):
    first = login()
    update_client(stack.target, CLIENT_ID, allowed_scopes=["openid", "profile", "email"])
    assert refresh(first["refresh_token"]).json() == INVALID


def test_reuse_after_the_grace_window_revokes_the_whole_family(login, refresh, monkeypatch):
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=0)
    first = login()["refresh_token"]
    second = refresh(first).json()["refresh_token"]
    third = refresh(second).json()["refresh_token"]
    replay = refresh(first)
    assert (replay.status, replay.json()) == (400, INVALID)
    # Every token descended from that login is dead, the newest included.
    assert refresh(third).json() == INVALID


def test_a_retry_within_the_grace_window_succeeds_and_leaves_one_live_token(login, refresh, stack, monkeypatch):
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=60)
    first = login()["refresh_token"]
    lost = refresh(first).json()["refresh_token"]  # the client never saw this answer
    retried = refresh(first)
    assert retried.status == 200, retried
    kept = retried.json()["refresh_token"]
    item = family_item(stack, kept)
    assert item["live_digest"]["S"] == hashlib.sha256(kept.encode()).hexdigest()
    # The token of the lost answer is no longer live: presenting it is reuse and ends the family.
    assert refresh(lost).json() == INVALID
    assert refresh(kept).json() == INVALID


@pytest.fixture
def clock(monkeypatch):
    """The refresh grant's clock, moved by the test: `clock.now` is what time.time() says to it."""
    from oidc_core.grants import refresh_token as grant_module

    clock = SimpleNamespace(now=float(int(time.time())))
    monkeypatch.setattr(grant_module, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def lose_the_race(refresh, clock):
    """Sends a refresh with `token` that loses to a parallel one: the winner's refresh runs (at `won_at`) just before
    the loser's conditional write, which then fails at `failed_at`. Returns (winner's reply, loser's reply)."""
    from oidc_core import aws

    def race(token: str, *, won_at: float, failed_at: float) -> tuple[Reply, Reply]:
        events = aws.client("dynamodb").meta.events
        winner: list[Reply] = []

        def just_before_the_write(**kwargs):
            if winner:
                return
            clock.now = won_at
            winner.append(None)
            winner[0] = refresh(token)
            clock.now = failed_at

        events.register_first("before-call.dynamodb.UpdateItem", just_before_the_write)
        try:
            loser = refresh(token)
        finally:
            events.unregister("before-call.dynamodb.UpdateItem", just_before_the_write)
        return winner[0], loser

    return race


@pytest.mark.parametrize("loser_clock_behind", [0, 1])
def test_with_a_grace_of_zero_the_loser_of_a_parallel_refresh_is_reuse(login, lose_the_race, refresh, clock,
                                                                       monkeypatch, loser_clock_behind):
    """The loser began a second before the winner rotated: its own start time is no excuse, nor is a clock of its
    container a second behind the winner's."""
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=0)
    token = login()["refresh_token"]
    began = clock.now
    winner, loser = lose_the_race(token, won_at=began + 1, failed_at=began + 1 - loser_clock_behind)
    assert winner.status == 200, winner
    assert (loser.status, loser.json()) == (400, INVALID)
    assert refresh(winner.json()["refresh_token"]).json() == INVALID  # reuse revoked the family


@pytest.mark.parametrize(("late", "honoured"), [(9, True), (10, False), (100, False)])
def test_the_grace_window_runs_from_the_rotation_to_the_losers_failed_write(login, lose_the_race, refresh, clock,
                                                                            monkeypatch, late, honoured):
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=10)
    token = login()["refresh_token"]
    began = clock.now  # the loser starts here, before the winner rotates
    winner, loser = lose_the_race(token, won_at=began + 5, failed_at=began + 5 + late)
    assert winner.status == 200, winner
    if honoured:
        assert loser.status == 200, loser
        assert refresh(loser.json()["refresh_token"]).status == 200  # the retry's token is the live one
    else:
        assert (loser.status, loser.json()) == (400, INVALID)
        assert refresh(winner.json()["refresh_token"]).json() == INVALID


def test_a_used_token_is_honoured_once_in_its_grace_window(login, refresh, clock, monkeypatch):
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=60)
    first = login()["refresh_token"]
    assert refresh(first).status == 200  # an answer the client lost
    clock.now += 1
    retried = refresh(first)
    assert retried.status == 200, retried
    clock.now += 1
    assert refresh(first).json() == INVALID  # a second replay, still within the window, is reuse
    assert refresh(retried.json()["refresh_token"]).json() == INVALID  # and ends the family


@pytest.mark.parametrize("rotation", ["true", "false", "grace retry"])
def test_a_revocation_that_lands_between_a_refreshs_read_and_its_write_wins(login, refresh, call_session, stack,
                                                                            monkeypatch, rotation):
    """The refresh read the family before the client revoked the token (RFC 7009); its write comes after: no new
    tokens for a revoked family, whatever the refresh read (a rotation, a kept token, a retry in the grace window)."""
    from oidc_core import aws

    configure(monkeypatch, REFRESH_TOKEN_ROTATION="false" if rotation == "false" else "true",
              REFRESH_TOKEN_GRACE_SECONDS=60)
    token = login()["refresh_token"]
    if rotation == "grace retry":
        assert refresh(token).status == 200  # an answer the client lost: it retries with the same token
    events = aws.client("dynamodb").meta.events
    revoked = []

    def revoke_first(**kwargs):
        if not revoked:  # once: the revocation's own write passes through here too
            revoked.append(None)
            revoked[0] = call_session("POST", "/oidc/token/revocation", {
                "token": token, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})

    events.register_first("before-call.dynamodb.UpdateItem", revoke_first)
    try:
        reply = refresh(token)
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", revoke_first)
    assert revoked[0].status == 200, revoked[0]
    assert (reply.status, reply.json()) == (400, INVALID)
    item = family_item(stack, token)
    assert "revoked_at" in item
    if rotation != "grace retry":
        assert item["live_digest"]["S"] == hashlib.sha256(token.encode()).hexdigest()


def test_parallel_refreshes_with_one_token_never_leave_two_live_tokens(stack, login, monkeypatch):
    """20 refreshes at once, each in its own handler instance (as separate Lambda containers would be), against
    DynamoDB's conditional writes."""
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=3600)  # no request may fall out of the window on a slow machine
    refresh_token = login()["refresh_token"]
    function = template.functions(template.load())["TokenFunction"]
    containers = [load_handler(function) for _ in range(20)]
    start = threading.Barrier(len(containers))
    replies: list[Reply] = []

    def run(handler):
        event = token_event({"grant_type": "refresh_token", "refresh_token": refresh_token,
                             "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        start.wait(timeout=60)
        replies.append(Reply(handler(event, LambdaContext("TokenFunction"))))

    threads = [threading.Thread(target=run, args=(handler,)) for handler in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(replies) == 20
    assert all(reply.status in (200, 400) for reply in replies), replies
    issued = [reply.json()["refresh_token"] for reply in replies if reply.status == 200]
    assert issued, "at least the first refresh succeeds"
    family = refresh_tokens.family_key(refresh_tokens.parse(refresh_token).family_id)
    stored = boto3.client("dynamodb").get_item(TableName=stack.target.tokens_table, Key=family)["Item"]
    live = stored["live_digest"]["S"]
    assert [hashlib.sha256(token.encode()).hexdigest() for token in issued].count(live) == 1
    assert len(set(issued)) == len(issued)


@pytest.mark.parametrize("grace", [0, 3600])
def test_parallel_refreshes_leave_at_most_one_live_token_whatever_the_grace(stack, login, refresh, monkeypatch, grace):
    configure(monkeypatch, REFRESH_TOKEN_GRACE_SECONDS=grace)
    refresh_token = login()["refresh_token"]
    function = template.functions(template.load())["TokenFunction"]
    containers = [load_handler(function) for _ in range(8)]
    replies: list[Reply] = []
    event = token_event({"grant_type": "refresh_token", "refresh_token": refresh_token,
                         "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    threads = [threading.Thread(target=lambda h=handler: replies.append(Reply(h(event, LambdaContext("T")))))
               for handler in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(reply.status == 200 or reply.json() == INVALID for reply in replies), replies
    still_live = [reply.json()["refresh_token"] for reply in replies if reply.status == 200]
    if grace == 0:  # the first rotation wins; every other use of the spent token is reuse
        assert len(still_live) == 1
    live = [token for token in still_live if refresh(token, scope="openid").status == 200]
    assert len(live) <= 1  # probing a dead one revokes the family, so after that none is live: never two


def test_rotation_off_returns_the_same_refresh_token(login, refresh, monkeypatch):
    configure(monkeypatch, REFRESH_TOKEN_ROTATION="false")
    first = login()["refresh_token"]
    for _ in range(3):
        reply = refresh(first)
        assert reply.status == 200, reply
        assert reply.json()["refresh_token"] == first


def test_with_rotation_off_a_public_clients_refresh_tokens_still_rotate(call_token, password_form, stack, user,
                                                                          monkeypatch):
    """RFC 9700 §4.14.2: a public client's refresh token is bound to nothing, so it rotates and its reuse is caught."""
    configure(monkeypatch, REFRESH_TOKEN_ROTATION="false", REFRESH_TOKEN_GRACE_SECONDS=0)
    create_client(stack.target, "spa", auth_method="none")
    first = call_token(password_form(client_id="spa", client_secret=None, scope="openid offline_access"))
    assert first.status == 200, first
    token = first.json()["refresh_token"]
    reply = call_token({"grant_type": "refresh_token", "refresh_token": token, "client_id": "spa"})
    assert reply.status == 200, reply
    assert reply.json()["refresh_token"] != token
    replay = call_token({"grant_type": "refresh_token", "refresh_token": token, "client_id": "spa"})
    assert replay.json() == INVALID  # a used token: reuse, which ends the family
    assert call_token({"grant_type": "refresh_token", "refresh_token": reply.json()["refresh_token"],
                       "client_id": "spa"}).json() == INVALID


def test_idle_limit_and_absolute_lifetime(login, refresh, stack, monkeypatch):
    configure(monkeypatch, REFRESH_TOKEN_IDLE_TTL=600, REFRESH_TOKEN_TTL=3600)
    first = login()["refresh_token"]
    item = family_item(stack, first)
    created = int(item["created_at"]["N"])
    assert int(item["absolute_expires_at"]["N"]) == created + 3600
    assert int(item["expires_at"]["N"]) == created + 600

    # A refresh moves the idle limit on, never past the absolute lifetime.
    set_family(stack, item, absolute_expires_at=created + 700)
    second = refresh(first).json()["refresh_token"]
    assert int(family_item(stack, second)["expires_at"]["N"]) <= created + 700

    # Idle too long (or past the absolute lifetime, which caps the idle limit): invalid_grant.
    set_family(stack, family_item(stack, second), expires_at=created - 1)
    assert refresh(second).json() == INVALID


@pytest.mark.parametrize("end_session", ["set_password", "block", "sign_out", "delete"])
def test_the_user_is_checked_on_every_refresh(login, refresh, stack, user, end_session):
    first = login()["refresh_token"]
    second = refresh(first).json()["refresh_token"]
    if end_session == "set_password":
        set_password(stack.target, user.sub, "a new password")
    elif end_session == "block":
        users.set_blocked(stack.target.users_table, user.sub, True)
    elif end_session == "sign_out":
        sign_out(stack.target, user.sub)
    else:
        boto3.client("dynamodb").delete_item(TableName=stack.target.users_table, Key=users.user_key(user.sub))
    assert refresh(second).json() == INVALID
    assert "revoked_at" in family_item(stack, second)  # the family is revoked, not merely refused
    if end_session == "block":  # unblocking does not bring the old session back
        users.set_blocked(stack.target.users_table, user.sub, False)
        assert refresh(second).json() == INVALID


def test_a_new_login_after_sign_out_works(login, refresh, stack, user):
    sign_out(stack.target, user.sub)
    assert refresh(login()["refresh_token"]).status == 200


def test_another_clients_token_is_invalid_grant_and_is_not_revoked(login, refresh, call_token, stack):
    create_client(stack.target, "other", "other-secret-0123")
    token = login()["refresh_token"]
    stolen = call_token({"grant_type": "refresh_token", "refresh_token": token, "client_id": "other",
                         "client_secret": "other-secret-0123"})
    assert (stolen.status, stolen.json()) == (400, INVALID)
    assert refresh(token).status == 200  # the owner is unaffected


def test_refresh_needs_client_authentication(login, call_token):
    token = login()["refresh_token"]
    reply = call_token({"grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT_ID,
                        "client_secret": "wrong"})
    assert reply.status == 401 and reply.json()["error"] == "invalid_client"
    reply = call_token({"grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT_ID})
    assert reply.status == 401


def test_only_clients_allowed_the_refresh_grant_get_or_redeem_refresh_tokens(call_token, password_form, stack, user):
    create_client(stack.target, "no-refresh", "no-refresh-secret", grant_types=["password"])
    reply = call_token(password_form(client_id="no-refresh", client_secret="no-refresh-secret",
                                     scope="openid offline_access"))
    assert reply.status == 200
    assert "refresh_token" not in reply.json() and reply.json()["scope"] == "openid"  # what was granted, said
    reply = call_token({"grant_type": "refresh_token", "refresh_token": "x", "client_id": "no-refresh",
                        "client_secret": "no-refresh-secret"})
    assert reply.status == 400 and reply.json()["error"] == "unauthorized_client"


def test_a_public_client_refreshes_with_its_client_id_alone(call_token, password_form, stack, user):
    create_client(stack.target, "spa", auth_method="none")
    login = call_token(password_form(client_id="spa", client_secret=None, scope="openid offline_access"))
    assert login.status == 200, login
    reply = call_token({"grant_type": "refresh_token", "refresh_token": login.json()["refresh_token"],
                        "client_id": "spa"})
    assert reply.status == 200, reply
    # A public client has no secret: one that sends any is not who it claims to be.
    reply = call_token({"grant_type": "refresh_token", "refresh_token": reply.json()["refresh_token"],
                        "client_id": "spa", "client_secret": "guess"})
    assert reply.status == 401


@pytest.mark.parametrize("refresh_token", [
    "x" * 10_000, "", "not-a-token", "AQ", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "AQ" + "A" * 100, "\u00e9\u00e9\u00e9", "A" * 511 + "=",
])
def test_hostile_refresh_tokens_are_invalid_grant_or_invalid_request(login, refresh, refresh_token):
    login()
    reply = refresh(refresh_token)
    assert reply.status == 400, reply
    assert reply.json()["error"] in ("invalid_grant", "invalid_request")


def test_a_tampered_sub_in_the_token_is_unknown(login, refresh, user):
    import base64

    token = login()["refresh_token"]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-1] ^= 1  # the last byte of the sub
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert refresh(tampered).json() == INVALID
    assert refresh(token).status == 200  # and the family was not touched


def test_a_refresh_makes_two_sequential_dynamodb_round_trips(login, refresh):
    from oidc_core import aws

    token = login()["refresh_token"]
    calls = []
    aws.client("dynamodb").meta.events.register("before-call.dynamodb.*",
                                                lambda model, **kwargs: calls.append(model.name))
    assert refresh(token).status == 200
    assert calls == ["BatchGetItem", "UpdateItem"]
