"""What `make bench` prints: its tables, their titles and rows (a test holds docs/performance.md to them), the targets
a row is measured against, and the AWS list prices the cost rows use."""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics

# Issue 10's targets.
WARM_PASSWORD_TARGET = 1.10  # × floor
REFRESH_BEYOND_FLOOR_TARGET_MS = 2.0
DYNAMODB_BEFORE_HASH_TARGET = 2
COLD_START_TARGET = 1.25  # × floor

# AWS list prices, us-east-1, in USD, as published on the AWS pricing pages on PRICES_AS_OF. Check them before
# quoting a cost: they change (DynamoDB on-demand halved in November 2024).
PRICES_AS_OF = "2025-06-01"
LAMBDA_ARM64_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
HTTP_API_REQUEST = 1.00 / 1e6  # first 300 million a month
DYNAMODB_WRITE_REQUEST_UNIT = 0.625 / 1e6  # on-demand
DYNAMODB_READ_REQUEST_UNIT = 0.125 / 1e6  # on-demand; a strongly consistent read of up to 4 KB is one unit
KMS_REQUEST = 0.03 / 1e4  # symmetric and RSA 2048 requests (Sign with an RSA_2048 key included)
KMS_OTHER_ASYMMETRIC_REQUEST = 0.15 / 1e4  # other asymmetric keys; SM2 keys exist only in China, priced in CNY there
KMS_KEY_MONTH = 1.00
SECRET_MONTH, SECRETS_MANAGER_REQUEST = 0.40, 0.05 / 1e4
LAMBDA_FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, CPU in proportion to memory below it

MEMORY_SIZES = (128, 256, 512, 1024, 1536, 1769, 2048, 3008)


@dataclasses.dataclass
class Table:
    """One section of the output. `fixed`: its rows are known before measuring (labels() names them); otherwise
    they name what was measured (the slowest imports)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    fixed: bool = True

    def markdown(self) -> str:
        lines = [f"#### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(self.columns) - 1)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        lines += [""] + [f"{note}" for note in self.notes] if self.notes else []
        return "\n".join(lines)


@dataclasses.dataclass
class Samples:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def __str__(self) -> str:
        return f"{self.median:.1f} ({min(self.values):.1f}–{max(self.values):.1f})"


def ratio_cell(value: float, target: float) -> str:
    return f"{value:.2f} ({'met' if value <= target else f'missed by {value - target:.2f}'}, target ≤ {target:.2f})"


# -- labels: what the tables are called and which rows they have -----------------------------------------------------

PRIMITIVES_TITLE = "Primitives: the unavoidable work, one at a time"
PRIMITIVES = ("Argon2id verify (m=19456 KiB, t=2, p=1)", "RS256 sign, one JWT (RSA-2048)",
              "RSA-2048 PKCS#1 v1.5 password decrypt", "SM2 password decrypt (C1C3C2)")
WARM_TITLE = "Warm path: CPU of the handler against its floor (AWS emulated in another process)"
WARM = ("password grant, plain password", "password grant, RSA-encrypted password",
        "password grant, SM2-encrypted password", "refresh grant (rotation)",
        "failed login: wrong password", "failed login: unknown user", "failed login: blocked user",
        "failed login: undecryptable password", "failed login: locked account",
        "authorization request without a session (login page)", "login POST (code issued)",
        "authorization request, prompt=none with a session", "code redemption (authorization_code grant)")
ROUND_TRIPS_TITLE = "AWS calls per warm request (botocore event hooks)"
ROUND_TRIPS = ("password grant", "refresh grant", "failed login: wrong password",
               "authorization request without a session (login page)", "login POST",
               "authorization request, prompt=none with a session", "code redemption")
COLD_TITLE = "Cold start: fresh `python -I -S` with a built function (TokenFunction unless named) and its layers"
COLD = ("floor: boto3, DynamoDB and Secrets Manager clients, cryptography RSA and Argon2id, PyJWT",
        "import app", "import app + clients", "import app + clients + first password grant (emulator)",
        "import app + clients, X-Ray SDK subsegments on (XRAY_SDK_TRACING=true)",
        "AuthorizeFunction: import app + clients",
        "AuthorizeFunction: import app + clients + first login page (emulator)")
IMPORTS_TITLE = "Cold start: slowest imports of `import app` + clients (-X importtime, by package, one run)"
PACKAGES_TITLE = "Built packages (sam build for this machine, .aws-sam/build-<arch>)"
THROUGHPUT_TITLE = "Local stack (make dev): password grants over HTTP, concurrent clients"
THROUGHPUT_CLIENTS = (1, 4, 16)
MEMORY_TITLE = "Argon2id verify against Lambda memory size (CPU share emulated by duty-cycling a process)"
KEY_SOURCES_TITLE = "Key sources: Secrets Manager (read once per container) against KMS (a call per use), warm"
KEY_SOURCES = {"Secrets Manager": {},
               "KMS": {"SigningKeySource": "KMS", "RsaPasswordKeySource": "KMS", "Sm2PasswordKeySource": "KMS"}}
KEY_SOURCE_REQUESTS = ("password grant, plain password", "password grant, RSA-encrypted password",
                       "password grant, SM2-encrypted password", "refresh grant (rotation)")
COST_TITLE = f"Cost per 1,000,000 requests (AWS list prices, us-east-1, as of {PRICES_AS_OF}, arm64)"
COST = ("password grants", "refresh grants")


COLUMNS = {
    PRIMITIVES_TITLE: ("primitive", "ms, median (min–max)", "× Argon2id"),
    WARM_TITLE: ("request", "handler CPU ms", "floor ms", "× floor", "beyond floor ms", "target"),
    ROUND_TRIPS_TITLE: ("request", "sequential round trips", "DynamoDB round trips before the hash",
                        "Secrets Manager / KMS calls", "DynamoDB read / write units", "calls", "target"),
    COLD_TITLE: ("process", "ms, median (min–max)", "× floor", "target"),
    IMPORTS_TITLE: ("package", "cumulative ms", "own modules ms"),
    PACKAGES_TITLE: ("package", "files", "unzipped KB", "zipped KB"),
    THROUGHPUT_TITLE: ("clients", "requests", "requests/s", "p50 ms", "p99 ms"),
    MEMORY_TITLE: ("memory", "CPU share", "Argon2id ms (measured)", "× full core", "model: full / share",
                   "est. password grant ms", "Lambda $ per 1M password grants"),
    COST_TITLE: ("per 1,000,000", "Lambda ms (billed)", "Lambda $", "HTTP API $", "DynamoDB RRU / WRU", "DynamoDB $",
                 "KMS calls", "KMS $", "total $"),
    KEY_SOURCES_TITLE: ("key source: request", "handler CPU ms", "wall ms (AWS emulated)", "sequential round trips",
                        "Secrets Manager / KMS calls", "KMS $ per 10,000 requests"),
}


def titles() -> list[str]:
    return list(COLUMNS)


def labels() -> dict[str, list[str]]:
    """The rows of each table whose rows are known before measuring, by title."""
    from oidc_tools import template

    packages = [*template.functions(template.load()), "DependenciesLayer", "CoreLayer"]
    return {PRIMITIVES_TITLE: list(PRIMITIVES), WARM_TITLE: list(WARM), ROUND_TRIPS_TITLE: list(ROUND_TRIPS),
            COLD_TITLE: list(COLD), PACKAGES_TITLE: packages,
            THROUGHPUT_TITLE: [f"{clients} concurrent client{'s' if clients > 1 else ''}"
                               for clients in THROUGHPUT_CLIENTS],
            MEMORY_TITLE: [f"{memory} MB" for memory in MEMORY_SIZES], COST_TITLE: list(COST),
            KEY_SOURCES_TITLE: [f"{source}: {request}" for source in KEY_SOURCES for request in KEY_SOURCE_REQUESTS]}


def header() -> str:
    return (f"On this machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            "Figures in ms; one run; ratios are what compare.")
