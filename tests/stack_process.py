"""The real `make dev` server (oidc_tools.local_stack) in its own process, for tests that talk to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningStack:
    def __init__(self, port: int):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        environment.pop("AWS_ENDPOINT_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oidc_tools.local_stack", "--port", str(port)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment, text=True,
        )
        self.output: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout=60):
            self.stop()
            raise AssertionError("local stack did not print 'ready:':\n" + "".join(self.output))

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            if line.startswith("ready: "):
                self._ready.set()

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        status, headers, raw = self.request(method, path, body, headers)
        return status, {name.lower(): value for name, value in headers.items()}, json.loads(raw)

    def interrupt(self, timeout: float = 20) -> tuple[int, str]:
        """Ctrl-C, as a developer stops `make dev`."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return self.process.returncode, "".join(self.output)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
