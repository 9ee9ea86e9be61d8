"""The local outbox: every email and SMS sent through the local stack's emulated SES and SNS, for a developer to read
(`GET /_local/outbox` as JSON, `/_local/outbox.html` for people, `oidc-admin --local outbox`). It exists only on the
local stack: template.yaml has no such route, and nothing here is deployed.

moto keeps what it "sent" (SES's sent_messages, shared by SES v1 and v2; SNS's sms_messages) but not when: `install`
stamps each send with the time and an order as it happens, which is all it changes. The outbox lives in memory and
is gone when the stack stops (PERSIST=1 keeps tables and secrets, not mail).
"""

from __future__ import annotations

import email
import email.policy
import functools
import html
import itertools
import json
import threading
import time
import urllib.error
import urllib.request

PREFIX = "/_local/"
JSON_PATH, HTML_PATH = "/_local/outbox", "/_local/outbox.html"
# The sender the local stack verifies in the emulated SES, so mail from it is accepted as from a verified identity.
LOCAL_EMAIL_SENDER = "no-reply@serverless-oidc.localhost"

_stamps: dict[str, tuple[float, int]] = {}  # message id -> (epoch seconds, order of sending)
_order = itertools.count()
_lock = threading.Lock()


def _stamp(message_id: str) -> None:
    with _lock:
        _stamps[message_id] = (time.time(), next(_order))


def _stamping(operation, message_id_of):
    @functools.wraps(operation)
    def stamped(*args, **kwargs):
        result = operation(*args, **kwargs)
        _stamp(message_id_of(result))
        return result

    stamped._stamps_outbox = True
    return stamped


def install() -> None:
    """Stamp every send of the emulated SES (SendEmail v1 and v2, raw or simple) and SNS (Publish) from now on.
    Idempotent."""
    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    for backend, name, message_id_of in ((SESBackend, "send_email", lambda message: message.id),
                                         (SESBackend, "send_raw_email", lambda message: message.id),
                                         (SNSBackend, "publish", lambda message_id: message_id)):
        operation = getattr(backend, name)
        if not getattr(operation, "_stamps_outbox", False):
            setattr(backend, name, _stamping(operation, message_id_of))


def verify_local_sender() -> None:
    """Make LOCAL_EMAIL_SENDER a verified identity of the emulated SES this process points at (SES refuses mail from
    any other)."""
    import boto3

    boto3.client("sesv2").create_email_identity(EmailIdentity=LOCAL_EMAIL_SENDER)


def messages() -> list[dict]:
    """Everything sent, newest first: {channel, to, subject (None for SMS), text, sent_at (epoch seconds)}."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    found = []
    for backend in _backends(ses_backends):
        found += [entry for message in list(backend.sent_messages) if (entry := _email(message))]
    for backend in _backends(sns_backends):
        found += [_sms(message_id, phone, text) for message_id, (phone, text) in list(backend.sms_messages.items())]
    found.sort(key=lambda entry: entry.pop("_order"), reverse=True)
    return found


def _backends(backend_dict) -> list:
    return [backend for regions in list(backend_dict.values()) for backend in list(regions.values())]


def _stamp_of(message_id: str) -> tuple[int, int]:
    sent_at, order = _stamps.get(message_id, (0.0, -1))
    return int(sent_at), order


def _email(message) -> dict | None:
    from moto.ses.models import Message, RawMessage  # here: oidc-admin imports this module, and needs no moto

    if isinstance(message, Message):
        recipients = [address for addresses in message.destinations.values() for address in addresses]
        subject, text = message.subject, message.body
    elif isinstance(message, RawMessage):
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        recipients, subject = list(message.destinations), parsed["subject"]
        body = parsed.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
    else:  # a templated email: nothing of ours sends one
        return None
    sent_at, order = _stamp_of(message.id)
    return {"channel": "email", "to": ", ".join(recipients), "subject": subject, "text": text, "sent_at": sent_at,
            "_order": order}


def _sms(message_id: str, phone: str, text: str) -> dict:
    sent_at, order = _stamp_of(message_id)
    return {"channel": "sms", "to": phone, "subject": None, "text": text, "sent_at": sent_at, "_order": order}


# -- the local stack's routes --------------------------------------------------------------------------------------

def answer(method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The local stack's answer to a request under /_local/, or None for a path of the API."""
    if not path.startswith(PREFIX):
        return None
    if method not in ("GET", "HEAD") or path not in (JSON_PATH, HTML_PATH):
        return 404, [("content-type", "application/json")], b'{"message":"Not Found"}'
    headers = [("cache-control", "no-store")]
    if path == JSON_PATH:
        body = json.dumps({"messages": messages()}, ensure_ascii=False, separators=(",", ":")).encode()
        return 200, [("content-type", "application/json; charset=utf-8"), *headers], body
    page_headers = [("content-type", "text/html; charset=utf-8"),
                    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"), *headers]
    return 200, page_headers, render_page(messages()).encode()


def render_page(sent: list[dict]) -> str:
    """The outbox as HTML: every value escaped, no script, no style, no external asset."""
    rows = "".join(
        f"<tr><td>{_time(entry['sent_at'])}</td><td>{html.escape(entry['channel'])}</td>"
        f"<td>{html.escape(entry['to'])}</td><td>{html.escape(entry['subject'] or '')}</td>"
        f"<td><pre>{html.escape(entry['text'])}</pre></td></tr>\n"
        for entry in sent)
    body = (f"<table>\n<caption>{len(sent)} message{'' if len(sent) == 1 else 's'}, newest first</caption>\n"
            "<thead><tr><th scope=\"col\">sent (UTC)</th><th scope=\"col\">channel</th><th scope=\"col\">to</th>"
            f"<th scope=\"col\">subject</th><th scope=\"col\">text</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>"
            if sent else "<p>Nothing has been sent yet.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Local outbox</title>\n</head>\n<body>\n<main>\n<h1>Local outbox</h1>\n"
            "<p>Email and SMS the local stack's emulated SES and SNS were asked to send. Reload to see new ones; "
            f"<a href=\"{JSON_PATH}\">JSON</a>.</p>\n{body}\n</main>\n</body>\n</html>\n")


def _time(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


# -- oidc-admin --local outbox -------------------------------------------------------------------------------------

def fetch(port: int) -> dict:
    """The outbox of the local stack on `port`, as GET /_local/outbox gives it."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{JSON_PATH}", timeout=30) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError) as error:
        raise ValueError(f"cannot read the outbox of the local stack on port {port}: {error}") from None
