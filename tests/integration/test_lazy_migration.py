"""Lazy migration (oidc_core/login/upstream.py): the in-process stack's TokenFunction against an upstream that is a
second local stack over HTTP (it speaks Authing's password grant), and against a small upstream of this test's own for
the answers a healthy stack never gives (an id token signed by a key its JWKS lacks, a 5xx, silence)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers import configure
from oidc_core.keys import keyring
from oidc_core.login import upstream
from oidc_core.store import users
from oidc_tools.stack import operations
from oidc_tools.local.stack import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD
from fake_upstream import FakeUpstream
from stack_process import ROOT, RunningStack

WRONG = {"error": "invalid_grant", "error_description": "invalid credentials provided"}
LAZY_MIGRATION = {"LazyMigration": "true"}


@pytest.fixture
def stack_parameters():
    """Lazy migration is a deploy-time choice (issue 23 point 4): on for this module's stack."""
    return LAZY_MIGRATION


@pytest.fixture(scope="module")
def upstream_stack():
    stack = RunningStack()
    admin = [sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(stack.port), "user", "create"]
    for name in ("carol", "dave", "erin"):
        created = subprocess.run([*admin, "--username", name, "--email", f"{name}@upstream.example", "--name",
                                  name.title(), "--email-verified", "--password-stdin"], input=f"{name}-password\n",
                                 cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert created.returncode == 0, created.stderr
    yield stack
    stack.stop()


def upstream_sub(stack, username: str, password: str) -> str:
    form = urllib.parse.urlencode({"grant_type": "password", "username": username, "password": password,
                                   "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}).encode()
    status, _, answer = stack.json("POST", "/oidc/token", form,
                                   {"content-type": "application/x-www-form-urlencoded"})
    assert status == 200, answer
    return jwt.decode(answer["id_token"], options={"verify_signature": False})["sub"]


@pytest.fixture
def requests_upstream(monkeypatch):
    """The URLs the service asks the upstream for (a watch on upstream._request: every request still goes out)."""
    asked = []
    real = upstream._request

    def watched(url, deadline, data=None):
        asked.append(url)
        return real(url, deadline, data)

    monkeypatch.setattr(upstream, "_request", watched)
    upstream.clear_cache()
    yield asked
    upstream.clear_cache()


def use_upstream(stack, issuer: str, client_id: str = DEMO_CLIENT_ID, secret: str = DEMO_CLIENT_SECRET) -> None:
    operations.set_upstream(stack.target, issuer, client_id, secret)
    keyring.clear_cache()  # as a container would after KeyCacheSeconds
    upstream.clear_cache()


def login(call_token, password_form, **fields):
    return call_token(password_form(**{"scope": "openid profile email", **fields}))


def _metrics(output: str) -> list[str]:
    """Names of the EMF metrics the handlers printed."""
    return [metric["Name"] for line in output.splitlines() if line.startswith('{"_aws"')
            for definition in json.loads(line)["_aws"]["CloudWatchMetrics"] for metric in definition["Metrics"]]


def test_a_first_login_creates_the_user_with_the_upstreams_sub_and_claims_and_the_second_stays_here(
        stack, client, call_token, password_form, upstream_stack, requests_upstream, capsys):
    use_upstream(stack, upstream_stack.base + "/oidc")
    capsys.readouterr()
    first = login(call_token, password_form, username="carol", password="carol-password")
    assert first.status == 200, first
    assert "UpstreamMigrations" in _metrics(capsys.readouterr().out)
    claims = jwt.decode(first.json()["id_token"], options={"verify_signature": False})
    sub = upstream_sub(upstream_stack, "carol", "carol-password")
    assert claims["sub"] == sub
    assert (claims["name"], claims["email"], claims["email_verified"]) == ("Carol", "carol@upstream.example", True)
    assert any(url.endswith("/oidc/token") for url in requests_upstream)
    user = users.find_by_sub(stack.target.users_table, sub)
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")

    requests_upstream.clear()
    for fields in ({"username": "carol"}, {"username": None, "email": "CAROL@upstream.example"}):
        again = login(call_token, password_form, password="carol-password", **fields)
        assert again.status == 200, again
        assert jwt.decode(again.json()["id_token"], options={"verify_signature": False})["sub"] == sub
    wrong = login(call_token, password_form, username="carol", password="not carol's")
    assert (wrong.status, wrong.json()) == (400, WRONG)
    assert requests_upstream == []  # a migrated user never reaches the upstream again

    status = operations.migration_status(stack.target)
    assert status["migrated_by_upstream"] == 1


def test_a_wrong_password_upstream_is_the_usual_failure_and_counts_toward_the_lockout(
        stack, client, call_token, password_form, upstream_stack, requests_upstream, monkeypatch):
    # a lock that outlasts the test, so it does not depend on how fast the machine gets to the third attempt
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD="2", LOCKOUT_VISIBLE="true", LOCKOUT_BASE_SECONDS="3600",
              LOCKOUT_MAX_SECONDS="7200")
    use_upstream(stack, upstream_stack.base + "/oidc")
    for _ in range(2):
        wrong = login(call_token, password_form, username="dave", password="not dave's")
        assert (wrong.status, wrong.json()) == (400, WRONG)
    asked = len(requests_upstream)
    locked = login(call_token, password_form, username="dave", password="dave-password")
    assert locked.status == 400 and "retry-after" in locked.headers  # locked before anything reaches the upstream
    assert len(requests_upstream) == asked
    assert users.find_by_login(stack.target.users_table, users.LoginIdentifier("username", "dave")) is None


def test_an_unknown_identifier_upstream_creates_nobody(stack, client, call_token, password_form, upstream_stack,
                                                       requests_upstream):
    use_upstream(stack, upstream_stack.base + "/oidc")
    reply = login(call_token, password_form, username="nobody-anywhere", password="whatever-it-is")
    assert (reply.status, reply.json()) == (400, WRONG)
    assert operations.migration_status(stack.target)["users"] == 0


def test_two_parallel_first_logins_create_one_user(stack, client, call_token, password_form, upstream_stack,
                                                   requests_upstream):
    use_upstream(stack, upstream_stack.base + "/oidc")
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: login(call_token, password_form, username="erin", password="erin-password"),
                                range(4)))
    assert [reply.status for reply in replies] == [200] * 4, replies
    subs = {jwt.decode(reply.json()["id_token"], options={"verify_signature": False})["sub"] for reply in replies}
    assert len(subs) == 1
    assert operations.migration_status(stack.target) | {"on_imported_hash": None} == {
        "users": 1, "on_imported_hash": None, "on_imported_hash_total": 0, "waiting_for_upstream_login": 0,
        "migrated_by_upstream": 1}


def test_a_user_imported_without_a_password_gets_the_one_the_upstream_confirms(
        stack, client, call_token, password_form, upstream_stack, requests_upstream):
    sub = upstream_sub(upstream_stack, "demo", DEMO_PASSWORD)
    users.create(stack.target.users_table, password_hash="", default_country_code="+86", username="demo",
                 profile={"name": "Imported Name"}, sub=sub, origin={"imported_from": "authing"})
    off = login(call_token, password_form, username="demo", password=DEMO_PASSWORD)
    assert (off.status, off.json()) == (400, WRONG)  # no upstream: waiting users cannot log in
    assert requests_upstream == []
    assert operations.migration_status(stack.target)["waiting_for_upstream_login"] == 1

    use_upstream(stack, upstream_stack.base + "/oidc")
    reply = login(call_token, password_form, username="demo", password=DEMO_PASSWORD)
    assert reply.status == 200, reply
    claims = jwt.decode(reply.json()["id_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["name"]) == (sub, "Imported Name")
    assert users.find_by_sub(stack.target.users_table, sub).password_hash.startswith("$argon2id$")
    status = operations.migration_status(stack.target)
    assert (status["waiting_for_upstream_login"], status["migrated_by_upstream"]) == (0, 1)


# -- an upstream of this test's own, for what a healthy one never answers --------------------------------------------

@pytest.fixture
def fake_upstream(stack):
    fake = FakeUpstream()
    use_upstream(stack, fake.issuer, client_id="us", secret="our-secret")
    yield fake
    fake.close()


def assert_unavailable(reply) -> None:
    assert reply.status == 503, reply
    assert reply.json()["error"] == "temporarily_unavailable" and int(reply.headers["retry-after"]) > 0


def test_the_fake_upstream_logs_a_user_in(stack, client, call_token, password_form, fake_upstream, requests_upstream):
    reply = login(call_token, password_form, username="frank", password="frank-password")
    assert reply.status == 200, reply
    assert jwt.decode(reply.json()["id_token"], options={"verify_signature": False})["sub"] == "frank|1"


def test_an_id_token_signed_by_an_unknown_key_creates_nothing(stack, client, call_token, password_form,
                                                              fake_upstream, requests_upstream):
    fake_upstream.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_unavailable(login(call_token, password_form, username="frank", password="frank-password"))
    assert users.find_by_sub(stack.target.users_table, "frank|1") is None


def test_an_upstream_5xx_is_503_creates_nothing_and_counts_nothing(stack, client, call_token, password_form,
                                                                   fake_upstream, requests_upstream, monkeypatch):
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD="1")
    use_upstream(stack, fake_upstream.issuer, client_id="us", secret="our-secret")
    fake_upstream.status = 502
    for _ in range(3):
        assert_unavailable(login(call_token, password_form, username="frank", password="frank-password"))
    fake_upstream.status = None
    reply = login(call_token, password_form, username="frank", password="frank-password")
    assert reply.status == 200, reply  # with a threshold of one failure, a counted 503 would have locked it


def test_a_silent_upstream_times_out_within_two_seconds_as_503(stack, client, call_token, password_form,
                                                               fake_upstream, requests_upstream):
    import time

    fake_upstream.silent.set()
    started = time.monotonic()
    assert_unavailable(login(call_token, password_form, username="frank", password="frank-password"))
    assert time.monotonic() - started < 10  # the function's timeout: the upstream's deadline ends inside it
    assert users.find_by_sub(stack.target.users_table, "frank|1") is None


def test_a_stopped_upstream_is_503(stack, client, call_token, password_form, requests_upstream, capsys):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    use_upstream(stack, f"http://127.0.0.1:{port}/oidc")
    capsys.readouterr()
    assert_unavailable(login(call_token, password_form, username="carol", password="carol-password"))
    assert "UpstreamFailures" in _metrics(capsys.readouterr().out)


@pytest.mark.parametrize("issuer", ["http://upstream.example/oidc", "ftp://127.0.0.1/oidc", "https://"])
def test_only_https_or_loopback_http_upstreams(stack, issuer):
    with pytest.raises(upstream.UnusableUpstream):
        operations.set_upstream(stack.target, issuer, "id", "secret")
    assert operations.show_upstream(stack.target) == {"upstream": "off"}


def test_upstream_show_never_shows_the_secret_and_off_turns_it_off(stack, client, call_token, password_form,
                                                                   upstream_stack, requests_upstream):
    use_upstream(stack, upstream_stack.base + "/oidc")
    shown = operations.show_upstream(stack.target)
    assert shown == {"upstream": "on", "issuer": upstream_stack.base + "/oidc", "client_id": DEMO_CLIENT_ID,
                     "client_secret": "set"}
    assert DEMO_CLIENT_SECRET not in json.dumps(shown)
    operations.upstream_off(stack.target)
    keyring.clear_cache()
    reply = login(call_token, password_form, username="carol", password="carol-password")
    assert (reply.status, reply.json()) == (400, WRONG)
    assert requests_upstream == []


def test_authings_python_sdk_signs_in_a_user_migrated_lazily(upstream_stack):
    """Both stacks over HTTP, configured as an operator does: `oidc-admin upstream set` on this one, then Authing's
    SDK signs in (its /api/v3/signin) a user who exists only upstream, and again once the user has moved."""
    from authing import AuthenticationClient

    here = RunningStack(arguments=("--parameter", "LazyMigration=true"))
    try:
        admin = [sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(here.port)]
        turned_on = subprocess.run([*admin, "upstream", "set", "--issuer", upstream_stack.base + "/oidc",
                                    "--client-id", DEMO_CLIENT_ID, "--secret-stdin"], input=DEMO_CLIENT_SECRET + "\n",
                                   cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert turned_on.returncode == 0, turned_on.stderr
        assert DEMO_CLIENT_SECRET not in turned_on.stdout
        client = AuthenticationClient(app_id=DEMO_CLIENT_ID, app_secret=DEMO_CLIENT_SECRET, app_host=here.base,
                                      token_endpoint_auth_method="client_secret_post")
        sub = upstream_sub(upstream_stack, "carol", "carol-password")
        # no login has read the upstream secret before (it is read at the first login that needs it)
        answer = client.sign_in_by_username_password("carol", "carol-password", options={"scope": "openid profile"})
        assert answer["statusCode"] == 200, answer
        assert jwt.decode(answer["data"]["id_token"], options={"verify_signature": False})["sub"] == sub
        again = client.sign_in_by_email_password("carol@upstream.example", "carol-password")
        assert again["statusCode"] == 200, again
        status = json.loads(subprocess.run([*admin, "migration", "status"], cwd=ROOT, capture_output=True,
                                           text=True, timeout=120).stdout)
        assert status["migrated_by_upstream"] == 1
    finally:
        here.stop()


def test_an_undecryptable_password_sends_nothing_upstream_and_costs_a_local_check(
        stack, client, call_token, password_form, fake_upstream, requests_upstream, monkeypatch):
    from oidc_core.passwords import hashing

    dummies = []
    real = hashing.verify_against_dummy
    monkeypatch.setattr(hashing, "verify_against_dummy", lambda *args: dummies.append(1) or real(*args))
    requests_upstream.clear()
    reply = login(call_token, password_form, username="frank", password="not a ciphertext",
                  password_encrypt_type="rsa")
    assert (reply.status, reply.json()) == (400, WRONG)
    assert requests_upstream == [] and len(dummies) == 1


def test_the_login_page_migrates_lazily_too(stack, handlers, call_token, password_form, upstream_stack,
                                            requests_upstream):
    """The browser's login page checks passwords by the same path: a first login there creates the user with the
    upstream's sub, and the code it leads to is redeemed for that sub."""
    from browser_helpers import HandlerBrowser, pkce_pair
    from oidc_tools.stack.operations import create_client

    app = "https://app.example.com/callback"
    create_client(stack.target, "spa", auth_method="none", grant_types=("authorization_code",), redirect_uris=(app,))
    use_upstream(stack, upstream_stack.base + "/oidc")
    browser = HandlerBrowser(handlers)
    verifier, challenge = pkce_pair()
    page = browser.authorize(client_id="spa", redirect_uri=app, response_type="code", scope="openid email",
                             code_challenge=challenge, code_challenge_method="S256")
    assert page.status == 200 and "<form" in page.text, page
    answer = browser.login(page, "erin", "erin-password")  # whom no earlier test sent a wrong password upstream
    assert answer.status == 303 and "code" in answer.callback(), answer
    assert any(url.endswith("/oidc/token") for url in requests_upstream)
    redeemed = browser.token({"grant_type": "authorization_code", "code": answer.callback()["code"], "redirect_uri": app,
                              "client_id": "spa", "code_verifier": verifier})
    assert redeemed.status == 200, redeemed
    sub = jwt.decode(json.loads(redeemed.text)["id_token"], options={"verify_signature": False})["sub"]
    assert sub == upstream_sub(upstream_stack, "erin", "erin-password")
    assert users.find_by_sub(stack.target.users_table, sub).password_hash.startswith("$argon2id$")


# -- issue 23: what the upstream may and may not decide ----------------------------------------------------------------

@pytest.mark.parametrize("claim", [{"iss": "https://elsewhere.example/oidc"}, {"aud": "another-client"}],
                         ids=["foreign-iss", "foreign-aud"])
def test_an_id_token_for_another_issuer_or_audience_creates_nothing(stack, client, call_token, password_form,
                                                                     fake_upstream, requests_upstream, claim):
    """OIDC Core §3.1.3.7: the iss must be the issuer asked, the aud must contain our client id there."""
    fake_upstream.claims = claim
    assert_unavailable(login(call_token, password_form, username="frank", password="frank-password"))
    assert users.find_by_sub(stack.target.users_table, "frank|1") is None


def test_the_upstream_deadline_is_two_seconds(stack, client, call_token, password_form, fake_upstream,
                                              requests_upstream, monkeypatch):
    """Every request to the upstream in one login gets at most what is left of one 2 s deadline
    (docs/moving-users.md): read off the socket timeouts the requests are opened with, not off a clock."""
    timeouts = []
    real_open = upstream._opener.open

    def watched(request, timeout):
        timeouts.append(timeout)
        return real_open(request, timeout=timeout)

    monkeypatch.setattr(upstream._opener, "open", watched)
    fake_upstream.silent.set()
    assert_unavailable(login(call_token, password_form, username="frank", password="frank-password"))
    assert len(timeouts) == 2 and max(timeouts) <= 2.0  # the discovery document, then the silent token endpoint


def test_an_imported_user_does_not_migrate_when_the_upstream_vouches_for_another_sub(
        stack, client, call_token, password_form, fake_upstream, requests_upstream):
    users.create(stack.target.users_table, password_hash="", default_country_code="+86", username="frank",
                 sub="imported|frank", origin={"imported_from": "authing"})
    reply = login(call_token, password_form, username="frank", password="frank-password")  # upstream says frank|1
    assert (reply.status, reply.json()) == (400, WRONG)
    assert users.find_by_sub(stack.target.users_table, "imported|frank").password_hash == ""
    assert users.find_by_sub(stack.target.users_table, "frank|1") is None


def test_an_unverified_upstream_email_or_phone_is_no_login_identifier_here(
        stack, client, call_token, password_form, fake_upstream, requests_upstream):
    fake_upstream.claims = {"email": "victim@example.com", "email_verified": False,
                            "phone_number": "+8613800138001", "phone_number_verified": False}
    assert login(call_token, password_form, username="frank", password="frank-password").status == 200
    table = stack.target.users_table
    assert users.find_by_login(table, users.LoginIdentifier("email", "victim@example.com")) is None
    assert users.find_by_login(table, users.LoginIdentifier("phone", "+8613800138001")) is None
    by_email = login(call_token, password_form, username=None, email="victim@example.com", password="frank-password")
    assert (by_email.status, by_email.json()) == (400, WRONG)


def test_a_verified_upstream_email_is_a_login_identifier_here(stack, client, call_token, password_form,
                                                               fake_upstream, requests_upstream):
    fake_upstream.claims = {"email": "frank@example.com", "email_verified": True}
    assert login(call_token, password_form, username="frank", password="frank-password").status == 200
    by_email = login(call_token, password_form, username=None, email="frank@example.com", password="frank-password")
    assert by_email.status == 200, by_email


def test_the_discovery_document_cannot_send_the_password_to_another_origin(
        stack, client, call_token, password_form, fake_upstream, requests_upstream):
    elsewhere = FakeUpstream()  # another port: another origin
    try:
        fake_upstream.discovery = {"token_endpoint": elsewhere.issuer + "/token"}
        assert_unavailable(login(call_token, password_form, username="frank", password="frank-password"))
        assert elsewhere.received == []
    finally:
        elsewhere.close()


def test_a_pinned_token_endpoint_may_be_on_another_origin(stack, client, call_token, password_form, fake_upstream,
                                                          requests_upstream):
    elsewhere = FakeUpstream()
    try:
        elsewhere.claims = {"iss": fake_upstream.issuer}  # what the real upstream would sign, served elsewhere
        elsewhere.published_key = elsewhere.signing_key = fake_upstream.published_key
        operations.set_upstream(stack.target, fake_upstream.issuer, "us", "our-secret",
                                token_endpoint=elsewhere.issuer + "/token")
        keyring.clear_cache()
        assert login(call_token, password_form, username="frank", password="frank-password").status == 200
        assert ("POST", "/oidc/token") in elsewhere.received
        assert ("POST", "/oidc/token") not in fake_upstream.received
    finally:
        elsewhere.close()


def test_inside_lambda_no_loopback_upstream_is_asked(stack, client, call_token, password_form, fake_upstream,
                                                     requests_upstream, monkeypatch):
    """In Lambda 127.0.0.1:9001 is the Runtime API: a loopback upstream there is refused before anything is sent."""
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    assert_unavailable(login(call_token, password_form, username="frank", password="frank-password"))
    assert fake_upstream.received == []


@pytest.mark.parametrize("url", ["https://10.0.0.5/oidc/token", "https://169.254.169.254/latest", "https://[fd00::1]/t",
                                 "https://192.168.1.1/token", "https://100.64.0.1/token", "https://0.0.0.0/token"])
def test_no_private_link_local_or_reserved_address_is_asked(url):
    with pytest.raises(upstream.UpstreamUnavailable) as refused:
        upstream.check_address(url)
    assert refused.value.reason == "forbidden_address"
