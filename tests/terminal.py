"""A command run at a terminal of its own (a pty as its stdin, stdout and stderr, and its controlling terminal), so
prompts, getpass and Ctrl-C / Ctrl-D behave as they do for an operator. Every wait has a deadline."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time


class Terminal:
    def __init__(self, command: list[str], *, cwd, env: dict | None = None):
        self.master, terminal = pty.openpty()
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=terminal, stdout=terminal, stderr=terminal,
                                        start_new_session=True,
                                        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(terminal)
        self.shown = b""
        self.closed = False

    def _read(self, timeout: float) -> bool:
        """Read what is there within timeout; False once the terminal is closed (the process has gone)."""
        if self.closed:
            return False
        if select.select([self.master], [], [], timeout)[0]:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: every process holding the terminal has gone
                data = b""
            if not data:
                self.closed = True
                return False
            self.shown += data
        return True

    def read_until(self, text: str, seconds: float) -> str:
        """Everything shown so far, once `text` has been shown (AssertionError after the deadline)."""
        deadline = time.monotonic() + seconds
        while text.encode() not in self.shown:
            assert time.monotonic() < deadline, f"no {text!r} within {seconds} s: {self.text()!r}"
            assert self._read(0.2) or text.encode() in self.shown, f"ended without {text!r}: {self.text()!r}"
        return self.text()

    def write(self, text: str) -> None:
        os.write(self.master, text.encode())

    def control(self, key: str) -> None:
        """Ctrl-<key> as the terminal's line discipline reads it (Ctrl-C: SIGINT to the foreground, Ctrl-D: EOF)."""
        os.write(self.master, bytes([ord(key.upper()) - 64]))

    def finish(self, seconds: float) -> int:
        """Read until the process has ended; its exit status (a negative signal number if a signal ended it)."""
        deadline = time.monotonic() + seconds
        try:
            while self._read(0.2):
                assert time.monotonic() < deadline, f"still running after {seconds} s: {self.text()!r}"
                if self.process.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                    break
            return self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def text(self) -> str:
        return self.shown.decode(errors="replace").replace("\r\n", "\n")


def answer_prompts(command: list[str], *, cwd, env: dict | None, answers: dict[str, str | list[str]],
                   seconds: float) -> tuple[int, list[str], str]:
    """Run command at a terminal; each time it waits at a prompt (what it showed since the last answer ends with ':'
    and nothing more comes for half a second), answer what `answers` gives for the first key the prompt contains
    (a list: its answers in turn), else Enter. Returns the exit status, the prompts in order, and everything shown."""
    terminal = Terminal(command, cwd=cwd, env=env)
    prompts, answered_at = [], 0
    deadline = time.monotonic() + seconds
    try:
        while True:
            assert time.monotonic() < deadline, f"not done within {seconds} s; prompts {prompts}: {terminal.text()}"
            before = len(terminal.shown)
            if not terminal._read(0.5):
                break
            if len(terminal.shown) != before:
                continue
            waiting = terminal.shown[answered_at:].decode(errors="replace").rstrip(" ")
            if waiting.endswith(":") and terminal.process.poll() is None:
                prompt = waiting.splitlines()[-1].strip()
                prompts.append(prompt)
                answer = next((answer for key, answer in answers.items() if key in prompt), "")
                if isinstance(answer, list):  # answers in turn, the last one kept for any later time
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                terminal.write(answer + "\r")
                answered_at = len(terminal.shown)
        status = terminal.process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        terminal.close()
    return status, prompts, terminal.text()
