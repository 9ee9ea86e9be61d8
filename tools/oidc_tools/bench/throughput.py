"""The local stack's section: `make dev` driven over HTTP by concurrent clients."""

from __future__ import annotations

import base64
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

from oidc_tools.bench.container import NO_LOCKOUT, Run
from oidc_tools.bench.report import COLUMNS, THROUGHPUT_CLIENTS, THROUGHPUT_TITLE, Table

def throughput(run: Run) -> Table:
    """`make dev` in its own process (its emulator in it, as make dev runs), driven over HTTP by N client threads
    each sending password grants one after another for a few seconds. The local stack serves one request at a time
    per function (one Lambda container), so more clients queue: latency grows, throughput does not."""
    import http.client

    # local_stack imports moto, which hooks botocore: harmless here, after the warm path was measured
    from oidc_tools.local.stack import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD

    parameters = [argument for name, value in NO_LOCKOUT.items() for argument in ("--parameter", f"{name}={value}")]
    process = subprocess.Popen([sys.executable, "-m", "oidc_tools.local.stack", "--port", "0", *parameters],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "AWS_ENDPOINT_URL": ""})
    table = Table(THROUGHPUT_TITLE, COLUMNS[THROUGHPUT_TITLE])
    try:
        base = None
        for line in process.stdout:
            if line.startswith("ready: "):
                base = line.split("ready: ", 1)[1].strip()
                break
        if base is None:
            raise SystemExit("the local stack did not start")
        # the functions log a line per request on stdout: read on, or the pipe fills and the stack blocks on it
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
        host, port = base.removeprefix("http://").split(":")
        body = urlencode({"grant_type": "password", "username": "demo", "password": DEMO_PASSWORD,
                          "scope": "openid profile offline_access"})
        credentials = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
        headers = {"content-type": "application/x-www-form-urlencoded", "authorization": f"Basic {credentials}"}
        duration = 0.0 if run.quick else 6.0

        def client(latencies: list[float], deadline: float) -> None:
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            while True:
                started = time.perf_counter()
                connection.request("POST", "/oidc/token", body, headers)
                reply = connection.getresponse()
                reply.read()
                assert reply.status == 200, reply.status
                latencies.append((time.perf_counter() - started) * 1000)
                if time.perf_counter() >= deadline:
                    break
            connection.close()

        client([], time.perf_counter())  # warm-up: the first request of a container is a cold one
        for clients in THROUGHPUT_CLIENTS:
            latencies: list[list[float]] = [[] for _ in range(clients)]
            started = time.perf_counter()
            threads = [threading.Thread(target=client, args=(latencies[index], started + duration))
                       for index in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            every = sorted(latency for per_client in latencies for latency in per_client)
            p99 = every[min(len(every) - 1, math.ceil(0.99 * len(every)) - 1)]
            table.rows.append((f"{clients} concurrent client{'s' if clients > 1 else ''}", str(len(every)),
                               f"{len(every) / elapsed:.1f}", f"{statistics.median(every):.1f}", f"{p99:.1f}"))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    table.notes = ["One process serves every client, as `make dev` does (its emulator inside it, so the emulator's "
                   "CPU competes with the function's): a local figure, not a Lambda one."]
    return table
