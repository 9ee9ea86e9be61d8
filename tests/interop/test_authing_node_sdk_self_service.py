"""Authing's Node SDK (authing-node-sdk 4.0.1, unchanged) calling every self-service method against `make dev`
(tests/interop/authing_node_sdk_self_service.mjs makes the calls and prints what came back; the assertions are here).
The stack is this module's own: its sends count against no other test's limits."""

from __future__ import annotations

import json
import subprocess

import pytest

from interop.conftest import INTEROP_DIR
from stack_process import RunningStack

OK = {"statusCode": 200, "message": ""}


@pytest.fixture(scope="module")
def result(node):
    stack = RunningStack()
    try:
        run = subprocess.run(["node", str(INTEROP_DIR / "authing_node_sdk_self_service.mjs"), stack.base, "20261208"],
                             capture_output=True, text=True, cwd=INTEROP_DIR, timeout=180)
        assert run.returncode == 0, run.stderr
        yield json.loads(run.stdout)
    finally:
        stack.stop()


def test_codes_are_sent(result):
    assert result["sendEmail"] == {**OK, "data": {}}
    assert result["sendSms"] == {**OK, "data": {}}


def test_sign_ups(result):
    assert result["signUpByEmailCode"]["data"]["emailVerified"] is True, result["signUpByEmailCode"]
    assert result["signUpByEmailCode"]["data"]["nickname"] == "node"
    assert result["signUpByPhoneCode"]["data"]["phoneVerified"] is True, result["signUpByPhoneCode"]
    assert result["signUpByUsernamePassword"]["data"]["givenName"] == "Node"
    assert result["signUpByEmailPassword"]["data"]["emailVerified"] is False


def test_passcode_sign_ins_answer_as_the_password_sign_in(result):
    for name in ("signInByEmailPassCode", "signInByPhonePassCode"):
        assert result[name]["statusCode"] == 200 and result[name]["data"]["token_type"] == "Bearer", result[name]
    assert result["wrongCode"] == {"statusCode": 400, "message": "invalid credentials provided",
                                   "error": "invalid_grant", "data": None}


def test_reset_and_update_password(result):
    assert result["verifyResetPasswordRequest"]["data"]["tokenExpiresIn"] == 600
    assert result["resetPassword"] == {**OK, "data": {"success": True}}
    assert result["updatePassword"] == {**OK, "data": {}}
    assert result["signInAfterUpdate"]["statusCode"] == 200
