"""`make bench`'s figures for moving users here (docs/moving-users.md shows one run): how fast `oidc-admin users import`
writes users into the emulated table, and what a failed login costs a user still on an imported hash against a native
one (the Django CVE-2016-2513 leak, closed by doing the dummy Argon2id work after a foreign mismatch).

Its own module (run by `make bench` after oidc_tools.bench) so that README's tables, which a test holds to
oidc_tools.bench's output, stay that output. As there: figures, never a test of time; `--quick` proves it runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

from oidc_tools.bench.container import NO_LOCKOUT, PASSWORD
from oidc_tools.bench.emulated_aws import emulator, point_boto3_at
from oidc_tools.bench.report import Samples, Table, header

IMPORT_TITLE = "Import: `oidc-admin users import` into the emulated users table (a moto server in another process)"
IMPORT = ("first import", "re-run of the same file (every row skipped)")
FAILED_LOGIN_TITLE = "Failed password check by stored hash: an imported user's against a native one's"
BY_ACCOUNT_TITLE = "Failed login on the token endpoint, by kind of account: what an attacker times"
COLUMNS = {
    IMPORT_TITLE: ("run", "users", "seconds", "users/s"),
    FAILED_LOGIN_TITLE: ("stored hash", "failed check ms, median (min–max)", "× native Argon2id"),
    BY_ACCOUNT_TITLE: ("lazy migration", "account", "wall ms, median (min–max)", "× native", "CPU ms, median"),
}
UPSTREAM_LATENCY_SECONDS = 0.3  # the upstream's answer, as a provider in another region gives it
FULL_IMPORT = 100_000


def titles() -> list[str]:
    return list(COLUMNS)


def import_rate(quick: bool, endpoint_url: str) -> Table:
    """The whole import as an operator runs it (reading, checking, transactions in parallel threads, retries)."""
    point_boto3_at(endpoint_url)
    from oidc_core import aws
    from oidc_core.passwords import imported
    from oidc_tools import template
    from oidc_tools.stack.provision import provision
    from oidc_tools.admin.user_import import import_users

    aws.client.cache_clear()
    target = provision(template.load(), {"IssuerUrl": "https://bench.example/oidc"}).target
    count = 200 if quick else FULL_IMPORT
    stored = imported.salted_digest("sha256", hashlib.sha256(PASSWORD.encode()).digest())  # cheap to check, as any
    table = Table(IMPORT_TITLE, COLUMNS[IMPORT_TITLE])
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "users.jsonl"
        path.write_text("".join(json.dumps({"sub": f"bench|{index:08d}", "email": f"user{index}@bench.example",
                                            "name": f"User {index}", "password_hash": stored}) + "\n"
                                for index in range(count)))
        for name in IMPORT:
            started = time.perf_counter()
            report = import_users(target, path, "native", progress=False)
            seconds = time.perf_counter() - started
            assert not report.refused and report.imported + report.skipped == count, report.as_dict()
            table.rows.append((name, f"{count:,}", f"{seconds:.1f}", f"{count / seconds:,.0f}"))
    table.notes = [
        f"{count:,} users of native JSON Lines, one TransactWriteItems per user (the user and its email item, each "
        "conditional), 16 threads. The emulator is one Python process: against DynamoDB the rate is bounded by the "
        "table's write capacity instead (on demand: 4,000 write units a second at first, each user here 2 items of "
        "2 units in a transaction)."]
    return table


def failed_login_cost(quick: bool) -> Table:
    """imported.verify with a wrong password, which is what differs between a native and an imported user's failed
    login (the rest of the path is the same code)."""
    import bcrypt
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2i

    from oidc_core.config import OWASP_MINIMUM_ARGON2, load_settings
    from oidc_core.passwords import hashing, imported

    settings = load_settings({"ISSUER": "https://bench.example.com/oidc"})  # Argon2id at the OWASP minimum
    password = PASSWORD.encode()
    salt = b"bench-salt-16byt"
    stored = {
        "native Argon2id (m=19456, t=2, p=1)": hashing.hash_password(PASSWORD, OWASP_MINIMUM_ARGON2),
        "bcrypt, cost 10 (Auth0's)": bcrypt.hashpw(password, bcrypt.gensalt(rounds=10)).decode(),
        "PBKDF2-SHA256, 27,500 iterations (Keycloak's)": imported.pbkdf2(
            "sha256", 27500, salt, hashlib.pbkdf2_hmac("sha256", password, salt, 27500, 64)),
        "Firebase scrypt (rounds 8, mem cost 14)": imported.firebase_scrypt(8, 14, salt, b"\x07", b"k" * 64, b"h" * 64),
        "scrypt (N=16384, r=8, p=1)": imported.scrypt(16384, 8, 1, salt, b"h" * 32),
        "Argon2i (m=4096, t=3, p=1)": Argon2i(salt=salt, length=32, iterations=3, lanes=1, memory_cost=4096)
        .derive_phc_encoded(password),
        "salted MD5": imported.salted_digest("md5", hashlib.md5(salt + password).digest(), salt),
        "HMAC-SHA256": imported.hmac_digest("sha256", b"key", b"h" * 32),
        "no password yet (waiting for the upstream)": "",
    }
    repeat = 1 if quick else 25
    samples: dict[str, list[float]] = {name: [] for name in stored}
    for value in stored.values():
        imported.verify("wrong password", value, settings)  # the dummy hash is made once per container
    for _ in range(repeat):  # round robin, so a busy moment of this shared machine falls on every row alike
        for name, value in stored.items():
            started = time.perf_counter()
            assert not imported.verify("wrong password", value, settings)
            samples[name].append((time.perf_counter() - started) * 1000)
    measured = {name: Samples(values) for name, values in samples.items()}
    native = next(iter(measured.values())).median
    table = Table(FAILED_LOGIN_TITLE, COLUMNS[FAILED_LOGIN_TITLE],
                  [(name, str(value), f"{value.median / native:.2f}") for name, value in measured.items()])
    table.notes = [
        "Wall time of one failed check in this process, the rows measured in turn. Every imported hash costs at "
        "least a native one's (1.00 within the noise, or more): "
        "a foreign mismatch is followed by the dummy Argon2id verification at the stored parameters, so a fast "
        "legacy hash (MD5, HMAC, no password yet) no longer answers quicker than a native account. The excess is the "
        "foreign algorithm's own cost, which no code can make cheaper: a failed login of an account still on a "
        "slower hash (bcrypt, PBKDF2, scrypt) takes longer than a native one's, as with Django's fix. Each first "
        "login replaces the imported hash, so the set of such accounts only shrinks."]
    return table


class _RefusingUpstream:
    """An upstream identity provider that refuses every password after UPSTREAM_LATENCY_SECONDS, on loopback: what
    an identifier nobody here has, or a user waiting for the upstream, costs while lazy migration is on."""

    def __init__(self):
        import http.server
        import threading

        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _json(self, status: int, document: dict) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._json(200, {"issuer": upstream.issuer, "token_endpoint": upstream.issuer + "/token",
                                 "jwks_uri": upstream.issuer + "/jwks"})

            def do_POST(self):
                self.rfile.read(int(self.headers["content-length"]))
                time.sleep(UPSTREAM_LATENCY_SECONDS)
                self._json(400, {"error": "invalid_grant"})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/oidc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _imported_accounts() -> dict[str, str]:
    """The stored hash of each kind of imported account, at what real exports hold (within the work ceiling)."""
    import bcrypt

    from oidc_core.passwords import imported

    salt, secret = b"bench-salt-16byt", PASSWORD.encode()
    return {
        "imported bcrypt 12": bcrypt.hashpw(secret, bcrypt.gensalt(rounds=12)).decode(),
        "imported PBKDF2-SHA512 210,000 (Keycloak)": imported.pbkdf2(
            "sha512", 210_000, salt, hashlib.pbkdf2_hmac("sha512", secret, salt, 210_000, 64)),
        "imported Firebase scrypt (r=8, mem cost 14)": imported.firebase_scrypt(8, 14, salt, b"\x07", b"k" * 64,
                                                                                b"h" * 64),
        "imported salted MD5": imported.salted_digest("md5", hashlib.md5(salt + secret).digest(), salt),
        "imported, no password yet (waiting for the upstream)": "",
    }


def _token_function(endpoint_url: str, lazily: bool):
    """TokenFunction's handler in this process against the emulator, with one account of each kind: (handler,
    {account: username}), the logs thrown away."""
    import contextlib
    import os

    point_boto3_at(endpoint_url)
    from oidc_core import aws, config
    from oidc_tools import template
    from oidc_tools.local.stack import load_handler
    from oidc_tools.stack.operations import create_client, create_user, set_upstream
    from oidc_tools.stack.provision import provision
    from oidc_core.store import users

    from oidc_core.keys import keyring

    aws.client.cache_clear()
    keyring._secrets.cache_clear()  # its client was the previous emulator's
    cfn = template.load()
    provisioned = provision(cfn, {"IssuerUrl": "https://bench.example/oidc", **NO_LOCKOUT,
                                  "LazyMigration": "true" if lazily else "false"})
    os.environ.update(provisioned.environments["TokenFunction"])
    config.settings.cache_clear()
    target = provisioned.target
    create_client(target, "bench", "bench-secret")
    create_user(target, PASSWORD, username="native")
    accounts = {"unknown (names nobody here)": "nobody-here", "native Argon2id": "native"}
    for number, (name, stored) in enumerate(_imported_accounts().items()):
        users.create(target.users_table, password_hash=stored, default_country_code="+86",
                     username=f"imported-{number}", sub=f"imported|{number}", origin={"imported_from": "bench"})
        accounts[name] = f"imported-{number}"
    sink = open(os.devnull, "w")  # the logs, where Lambda's would go: nobody reads them here
    with contextlib.redirect_stdout(sink):
        handler = load_handler(template.functions(cfn)["TokenFunction"])
    from oidc_core.observability import logger

    logger.registered_handler.setStream(sink)
    return handler, accounts, (lambda issuer: set_upstream(target, issuer, "bench", "upstream-secret"))


def _failed_logins(handler, accounts: dict[str, str], repeat: int) -> dict[str, tuple[Samples, Samples]]:
    from urllib.parse import urlencode

    from oidc_tools.local.lambda_events import LambdaContext, http_api_event

    def event(username: str) -> dict:
        form = {"grant_type": "password", "client_id": "bench", "client_secret": "bench-secret",
                "username": username, "password": "not the password"}
        return http_api_event("POST", "/oidc/token", route_key="POST /oidc/token", body=urlencode(form).encode(),
                              headers=[("content-type", "application/x-www-form-urlencoded")], source_ip="192.0.2.1")

    wall: dict[str, list[float]] = {name: [] for name in accounts}
    cpu: dict[str, list[float]] = {name: [] for name in accounts}
    handler(event("native"), LambdaContext("TokenFunction"))  # a warm container: the client's secret, the keys
    for _ in range(repeat):  # round robin, so a busy moment of this shared machine falls on every row alike
        for name, username in accounts.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            answer = handler(event(username), LambdaContext("TokenFunction"))
            wall[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
            assert answer["statusCode"] == 400, answer
    return {name: (Samples(wall[name]), Samples(cpu[name])) for name in accounts}


def failed_login_by_account(quick: bool) -> Table:
    """The whole failed login through TokenFunction's handler (the emulator's round trips included), for every kind
    of account issue 23 names, without lazy migration and with it (an upstream answering in 300 ms)."""
    import os

    # before oidc_core.observability is first imported: Powertools reads it then, and a hundred metrics without a
    # namespace fail the request that flushes them
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "bench")
    from oidc_core import config
    from oidc_core.keys import keyring
    from oidc_core.login import attempt_guard, upstream

    table = Table(BY_ACCOUNT_TITLE, COLUMNS[BY_ACCOUNT_TITLE])
    floors = {}
    for lazily in (False, True):
        with emulator() as endpoint_url:
            handler, accounts, use_upstream = _token_function(endpoint_url, lazily)
            refusing = _RefusingUpstream() if lazily else None
            if refusing:
                use_upstream(refusing.issuer)
                keyring.clear_cache()
                upstream.clear_cache()
            try:
                measured = _failed_logins(handler, accounts, 1 if quick else (5 if lazily else 10))
            finally:
                if refusing:
                    refusing.close()
            floors[lazily] = attempt_guard.failure_floor_seconds(config.settings()) * 1000
        native = measured["native Argon2id"][0].median
        table.rows += [("on" if lazily else "off", name, str(wall), f"{wall.median / native:.2f}",
                        f"{cpu.median:.0f}") for name, (wall, cpu) in measured.items()]
    table.notes = [
        f"Wall and CPU time of one failed login (a wrong password) through TokenFunction's handler in this process, "
        f"its DynamoDB in the emulator, the accounts measured in turn. Every failure waits for the floor before it "
        f"answers: {floors[False]:.0f} ms, above the work ceiling of the most costly hash admitted, or while lazy "
        f"migration is on {floors[True]:.0f} ms, the upstream's deadline (docs/security.md). So no kind of account "
        "answers sooner than another: the ratios to native stay within 1.00 ± 0.10. The CPU column is what each kind "
        "really costs (an imported hash's own algorithm; the upstream's round trip costs almost none): the floor "
        "spends no CPU, only duration."]
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 users and one repetition: proves it runs")
    arguments = parser.parse_args(argv)
    with emulator() as endpoint_url:
        print(header() + "\n", flush=True)
        for table in (import_rate(arguments.quick, endpoint_url), failed_login_cost(arguments.quick)):
            print(table.markdown() + "\n", flush=True)
    print(failed_login_by_account(arguments.quick).markdown() + "\n", flush=True)


if __name__ == "__main__":
    main()
