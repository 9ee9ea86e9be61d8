"""The local outbox over HTTP: a code sent by the functions' code (the codes room, through the local stack's emulated
DynamoDB, SES and SNS) shows at GET /_local/outbox and /_local/outbox.html, and `oidc-admin --local outbox` prints the
same. No HTTP endpoint sends codes yet, so the test sends with the stack's endpoint, as a function would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid

import pytest

from oidc_core import aws
from oidc_core.codes.channels import CHANNEL_LOGIN, CHANNEL_REGISTER, EMAIL, SMS, Delivery
from oidc_core.codes.passcodes import check_code, deliver, send_code
from oidc_core.codes.policy import CodePolicy
from oidc_core.codes.texts import Message
from oidc_core.config import load_settings
from oidc_core.store.passcodes import Verdict
from oidc_tools.local import outbox
from doc_blocks import answers, block_with, page, section
from stack_process import ROOT

KEY = b"digest-key-for-tests-0123456789ab"
POLICY = CodePolicy(product_name="Acme ID", email_sender=outbox.LOCAL_EMAIL_SENDER)


@pytest.fixture
def in_the_stacks_aws(running_stack, monkeypatch):
    """This process's AWS calls go to the running stack's emulator, as its functions' do; the stack's settings."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", running_stack.state["endpoint_url"])
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", running_stack.state["region"])):
        monkeypatch.setenv(name, value)
    aws.client.cache_clear()
    yield load_settings({**running_stack.state["environments"]["TokenFunction"]})
    aws.client.cache_clear()


def outbox_of(stack) -> list[dict]:
    status, headers, body = stack.json("GET", "/_local/outbox")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    return body["messages"]


def unique_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}@example.com"


def test_a_code_sent_through_the_stack_shows_in_the_outbox_and_is_accepted(running_stack, in_the_stacks_aws):
    address, now = unique_email(), int(time.time())
    assert send_code(in_the_stacks_aws, POLICY, channel=CHANNEL_LOGIN, medium=EMAIL, address=address,
                     address_in_use=True, source_ip=f"198.51.100.{now % 200}", locale="en", digest_key=KEY,
                     now=now) is Delivery.CODE
    newest = outbox_of(running_stack)[0]
    assert (newest["channel"], newest["to"]) == ("email", address)
    assert newest["subject"] == "Your Acme ID sign-in code" and now - 5 <= newest["sent_at"] <= time.time() + 5
    (code,) = re.findall(r"(?<![0-9])[0-9]{6}(?![0-9])", newest["text"])
    assert check_code(in_the_stacks_aws, channel=CHANNEL_LOGIN, address=address, code=code, digest_key=KEY,
                      now=now + 1) is Verdict.ACCEPTED


def test_email_and_sms_are_listed_newest_first_with_every_field(running_stack, in_the_stacks_aws):
    address, phone = unique_email(), f"+86139{uuid.uuid4().int % 10 ** 8:08d}"
    deliver(POLICY, EMAIL, address, Message("first", "the first"))
    send_code(in_the_stacks_aws, POLICY, channel=CHANNEL_REGISTER, medium=SMS, address=phone, address_in_use=False,
              source_ip="203.0.113.77", locale="zh-CN", digest_key=KEY, now=int(time.time()))
    first, second = outbox_of(running_stack)[:2]
    assert set(first) == set(second) == {"channel", "to", "subject", "text", "sent_at"}
    assert (first["channel"], first["to"], first["subject"]) == ("sms", phone, None)
    assert first["text"].startswith("【Acme ID】您的Acme ID注册验证码是 ")
    assert (second["channel"], second["to"], second["subject"], second["text"]) == \
        ("email", address, "first", "the first")
    assert isinstance(first["sent_at"], int) and first["sent_at"] >= second["sent_at"]


def test_the_html_outbox_shows_the_messages_escaped_under_a_strict_policy(running_stack, in_the_stacks_aws):
    address = unique_email()
    deliver(POLICY, EMAIL, address, Message("<b>subject</b>", "<script>alert(1)</script> & more"))
    status, headers, body = running_stack.request("GET", "/_local/outbox.html")
    page = body.decode()
    headers = {name.lower(): value for name, value in headers.items()}
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert address in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<script>" not in page and "<b>subject</b>" not in page and "&lt;b&gt;subject&lt;/b&gt;" in page


def test_only_get_of_the_two_outbox_paths_answers(running_stack):
    for method, path in (("POST", "/_local/outbox"), ("DELETE", "/_local/outbox"), ("GET", "/_local/other"),
                         ("GET", "/_local/outbox/")):
        status, _, body = running_stack.json(method, path, b"" if method == "POST" else None)
        assert (status, body) == (404, {"message": "Not Found"}), (method, path)


def run_admin(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oidc_tools.admin", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_oidc_admin_prints_the_same_outbox(running_stack, in_the_stacks_aws):
    deliver(POLICY, EMAIL, unique_email(), Message("admin", "seen by oidc-admin"))
    shown = run_admin("--local", "--port", str(running_stack.port), "outbox")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {"messages": outbox_of(running_stack)}


def test_oidc_admin_outbox_refuses_a_deployed_stack(running_stack):
    refused = run_admin("outbox")
    assert refused.returncode == 2 and "outbox exists only on the local stack: add --local" in refused.stderr


def test_the_pages_outbox_commands_run_as_written(running_stack, in_the_stacks_aws):
    """docs/self-service.md, "The local outbox": the curl command and oidc-admin print the outbox; only the port
    changes."""
    deliver(POLICY, EMAIL, unique_email(), Message("docs", "seen by the docs"))
    block = block_with(section(page("self-service.md"), "## The local outbox"), "bash", "/_local/outbox")
    script = block.replace("http://127.0.0.1:3000", running_stack.base).replace(
        "--local ", f"--local --port {running_stack.port} ")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    from_curl, from_admin = answers(result.stdout)
    assert from_curl == from_admin == {"messages": outbox_of(running_stack)}
    assert from_curl["messages"][0]["text"] == "seen by the docs"
