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

from oidc_tools.bench.container import PASSWORD
from oidc_tools.bench.emulated_aws import emulator, point_boto3_at
from oidc_tools.bench.report import Samples, Table, header

IMPORT_TITLE = "Import: `oidc-admin users import` into the emulated users table (a moto server in another process)"
IMPORT = ("first import", "re-run of the same file (every row skipped)")
FAILED_LOGIN_TITLE = "Failed password check by stored hash: an imported user's against a native one's"
COLUMNS = {
    IMPORT_TITLE: ("run", "users", "seconds", "users/s"),
    FAILED_LOGIN_TITLE: ("stored hash", "failed check ms, median (min–max)", "× native Argon2id"),
}
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 users and one repetition: proves it runs")
    arguments = parser.parse_args(argv)
    with emulator() as endpoint_url:
        print(header() + "\n", flush=True)
        for table in (import_rate(arguments.quick, endpoint_url), failed_login_cost(arguments.quick)):
            print(table.markdown() + "\n", flush=True)


if __name__ == "__main__":
    main()
