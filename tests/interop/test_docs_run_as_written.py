"""Every shell, JavaScript and Python block of README.md and docs/*.md runs as written against one `make dev` stack of
its own, so a page cannot drift from the code.

- Only the address changes: the stack listens on a port the system picked, so `http://127.0.0.1:3000` becomes its
  base and `--local` becomes `--local --port N`. Nothing else is rewritten.
- A block the Markdown marks `<!-- not run: why -->` just before its fence (it needs an AWS account, a terminal, or
  starts `make dev` itself) is skipped with that reason; a block without the mark that fails, fails.
- The blocks run in page order (README.md, then docs/ by name) on the one stack, as a reader who follows the pages
  one after the other: each page's blocks must leave the stack usable for the next (e.g. the upstream turned on is
  turned off again).
- Shell blocks run in bash -euo pipefail with PATH=/usr/local/bin:/usr/bin:/bin (no virtual environment on it: a page
  says `.venv/bin/oidc-admin`), from a directory holding `.venv` and the exports a reader brings from another
  identity service (READER_FILES, READER_ENVIRONMENT). Python blocks run in the tests' virtual environment, whose
  packages are the ones their `pip install` comments name (checked below). JavaScript blocks run as an ES module
  in a directory whose node_modules holds what their `npm i` comment names, at the version tests/interop pins, and
  nothing else: a package the comment forgets cannot be imported.
- What a block prints is checked further where the page promises more than "it runs" (CHECKS)."""

from __future__ import annotations

import ast
import html.parser
import json
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin

import bcrypt
import pytest
import requests

from doc_blocks import NODE_MODULES, RUN, SHOWN, Block, answers, every_block, node_project, page, section
from stack_process import ROOT, RunningStack

DOCUMENTED_BASE = "http://127.0.0.1:3000"
BLOCK_SECONDS = 300  # a deadline for a slow machine, not a measure
INVALID_CREDENTIALS = {"error": "invalid_grant", "error_description": "invalid credentials provided"}
AUTHING_APP_SECRET = "the-app-secret"
# A Firebase project's password hash parameters (console: Authentication, Users, Password hash parameters)
FIREBASE_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
READER_ENVIRONMENT = {"AUTHING_APP_SECRET": AUTHING_APP_SECRET, "BASE64_SIGNER_KEY": FIREBASE_KEY,
                      "BASE64_SALT_SEPARATOR": "Bw=="}


def reader_files(directory: Path) -> None:
    """The exports moving-users.md imports, as each source writes them (Firebase's user hashes FIREBASE_KEY's)."""
    stored = bcrypt.hashpw(b"pw-123456", bcrypt.gensalt(rounds=4)).decode()
    (directory / "authing-users.json").write_text(json.dumps({"statusCode": 200, "data": {"list": [
        {"userId": "6500000000000000000000a1", "username": "au1", "email": "au1@example.com", "status": "Activated"}]}}))
    (directory / "auth0-users.json").write_text(json.dumps([
        {"user_id": "auth0|5f7c8ec7c33c6c004bbafe82", "email": "a0@example.com", "password_hash": stored}]))
    (directory / "realm.json").write_text(json.dumps({"realm": "r", "users": [
        {"id": "kc-1", "username": "kc1", "enabled": True, "credentials": [{
            "type": "password", "secretData": json.dumps({"value": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                                                          "salt": "c2FsdHNhbHQ="}),
            "credentialData": json.dumps({"hashIterations": 27500, "algorithm": "pbkdf2-sha256"})}]}]}))
    (directory / "firebase-users.json").write_text(json.dumps({"users": [
        {"localId": "fb1", "email": "fb1@example.com", "salt": "42xEC+ixf3L2lw==",
         "passwordHash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="}]}))
    # carol, not the page's alice: getting-started.md made an alice on this stack already
    (directory / "users.jsonl").write_text(json.dumps({"sub": "42", "username": "carol", "password_hash": stored}) + "\n")


def as_run_here(code: str, port: int) -> str:
    return re.sub(r"--local\b(?! --port)", f"--local --port {port}", code.replace(DOCUMENTED_BASE,
                                                                               f"http://127.0.0.1:{port}"))


# ----- what a block must print, beyond running: (page, a text only that block holds) -> check(printed, stack)

def check_curl_session(output: str, stack: RunningStack) -> None:
    """Discovery, logins that get tokens, and a wrong password that gets the one credential failure."""
    printed = answers(output)
    assert printed[0]["issuer"] == f"{stack.base}/oidc"
    assert printed[-1] == INVALID_CREDENTIALS
    for answer in printed[1:-1]:
        if "keys" in answer:
            assert answer["keys"] and all(key["kty"] == "RSA" for key in answer["keys"])
        else:
            assert answer["token_type"] == "Bearer" and answer["access_token"] and answer["id_token"], answer
    assert any("access_token" in answer for answer in printed[1:-1])


def check_own_client_and_user(output: str, stack: RunningStack) -> None:
    created_user, login = answers(output)
    assert created_user["username"] == "alice" and created_user["sub"]
    assert login["token_type"] == "Bearer" and login["scope"] == "openid profile email"
    status, _, claims = stack.json("GET", "/oidc/me", headers={"Authorization": f"Bearer {login['access_token']}"})
    assert status == 200 and claims["sub"] == created_user["sub"] and claims["email"] == "alice@example.com"


def check_token_lifecycle(output: str, stack: RunningStack) -> None:
    printed = answers(output)
    assert len(printed) == 11, printed
    assert all(answer["preferred_username"] == "demo" for answer in printed[:3])
    active_access, active_refresh = printed[3], printed[4]
    assert active_access["active"] is True and active_access["token_type"] == "Bearer"
    assert active_refresh["active"] is True
    assert printed[5] == "200"
    assert printed[6] == {"active": False}
    assert printed[7]["scope"] == "demo:read" and printed[7]["rejected_scope"] == "orders:write"
    assert "refresh_token" in printed[8]
    assert printed[9] == "302 http://localhost:8080/signed-out?state=af0ifjsldkj"
    assert printed[10]["error"] == "invalid_grant"


def printed_lines(*expected: str):
    def check(output: str, stack: RunningStack) -> None:
        assert output.splitlines() == list(expected)
    return check


def check_browser_sign_in(output: str, stack: RunningStack) -> None:
    result = json.loads(output.strip().splitlines()[-1])
    assert result["claims"]["aud"] == "demo-browser-app" and result["claims"]["iss"] == f"{stack.base}/oidc"
    assert result["claims"]["amr"] == ["pwd"] and result["claims"]["sid"]
    assert result["userinfo"]["preferred_username"] == "demo" and result["refreshed"] is True


def check_client_registration(output: str, stack: RunningStack) -> None:
    spa, web, partner, updated = answers(output)
    assert spa["token_endpoint_auth_method"] == "none" and spa["client_secret"] is None
    assert web["require_pkce"] is True and web["client_secret"]
    assert partner["third_party"] is False and updated["client_id"] == "partner-app" and updated["third_party"] is True


def check_allowed_origin(output: str, stack: RunningStack) -> None:
    assert output.strip().lower() == "access-control-allow-origin: http://127.0.0.1:8080"


def check_upstream_on(output: str, stack: RunningStack) -> None:
    assert AUTHING_APP_SECRET not in output  # read from standard input, never shown


def check_migration_status(output: str, stack: RunningStack) -> None:
    assert json.loads(output)["waiting_for_upstream_login"] == 1  # Authing's au1: imported without a password


CHECKS = {
    ("README.md", "grant_type=password"): check_curl_session,
    ("getting-started.md", "phone=13800138000"): check_curl_session,
    ("getting-started.md", "client create my-app"): check_own_client_and_user,
    ("token-endpoint.md", "grant_type=refresh_token"): check_token_lifecycle,
    ("authing-sdks.md", "from authing import"): printed_lines(
        "400 invalid_grant invalid credentials provided", "200 Bearer 3600", "demo@example.com", "True", "False"),
    ("authing-sdks.md", '"authing-node-sdk"'): printed_lines(
        "400 invalid_grant invalid credentials provided", "200 Bearer 3600", "demo@example.com", "true",
        "302 http://localhost:8080/signed-out?state=af0ifjsldkj"),
    ("authing-sdks.md", 'import JSEncrypt from "jsencrypt"'): printed_lines("rsa 200 Bearer", "sm2 200 Bearer"),
    ("authing-sdks.md", "def sm2_encrypt"): printed_lines("rsa Bearer 3600", "sm2 Bearer 3600"),
    ("browser-sign-in.md", "client.authorizationCodeGrant"): check_browser_sign_in,
    ("browser-sign-in.md", "partner-app --third-party"): check_client_registration,
    ("browser-sign-in.md", "Access-Control-Request-Method"): check_allowed_origin,
    ("moving-users.md", "upstream set"): check_upstream_on,
    ("moving-users.md", "migration status"): check_migration_status,
    ("self-service.md", "sign_up_by_email_passcode"): printed_lines("True", "200 Bearer", "True", "{'success': True}",
                                                                    "200"),
    ("self-service.md", "signUpByEmailCode"): printed_lines("true", "200 Bearer", "400 invalid credentials provided"),
    ("self-service.md", '"CHANNEL_LOGIN", "phoneNumber"'): printed_lines(
        '{"statusCode":200,"message":"","data":{}}', "true", '{"statusCode":200,"message":"","data":{}}',
        '"Bearer"'),
}


# ----- how each kind of block runs

class LoginForm(html.parser.HTMLParser):
    """The login page's form: where it posts and its hidden fields (the interaction and the CSRF token)."""

    def __init__(self, text: str):
        super().__init__()
        self.action, self.fields = None, {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action")
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")


def sign_in_at_the_printed_url(process: subprocess.Popen, stack: RunningStack) -> None:
    """What the person at the browser does: open the URL the example prints and sign in as demo on the login page
    (no script needed), which sends the browser back to the example's loopback redirect URI."""
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=BLOCK_SECONDS)
    except queue.Empty:
        pytest.fail(f"the example printed no URL within {BLOCK_SECONDS} s")
    url = first.removeprefix("Open this URL in a browser: ").strip()
    if not url.startswith(f"{stack.base}/oidc/auth?"):
        process.kill()
        pytest.fail(f"the example printed no URL to open: {first!r}\n{process.communicate()[1]}")
    browser = requests.Session()
    login_page = browser.get(url, timeout=30)
    form = LoginForm(login_page.text)
    assert login_page.status_code == 200 and form.action, login_page.text[:2000]
    back = browser.post(urljoin(login_page.url, form.action), timeout=30,
                        data={**form.fields, "identifier": "demo", "password": "demo-password"})
    assert back.status_code == 200 and "Signed in" in back.text, (back.status_code, back.text[:2000])


PEOPLE = {("browser-sign-in.md", "client.authorizationCodeGrant"): sign_in_at_the_printed_url}


def in_node_as_a_bundler_would(code: str) -> str:
    """A browser example in node: its two imports resolved as a bundler resolves them (CommonJS packages), and the
    `window` JSEncrypt looks for."""
    code = code.replace('import JSEncrypt from "jsencrypt";', 'const JSEncrypt = require("jsencrypt");')
    code = code.replace('import { sm2 } from "sm-crypto";', 'const { sm2 } = require("sm-crypto");')
    return ('import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n'
            "globalThis.window ??= globalThis;\nglobalThis.self ??= globalThis;\n" + code)


IN_A_BROWSER = {("authing-sdks.md", 'import JSEncrypt from "jsencrypt"'): in_node_as_a_bundler_would}


def keyed(table: dict, block: Block):
    return next((value for (name, marker), value in table.items() if name == block.page and marker in block.code),
                None)


def command_for(block: Block, code: str, directory: Path) -> tuple[list[str], Path]:
    if RUN[block.language] == "bash":
        return ["bash", "-euo", "pipefail", "-c", code], directory
    if RUN[block.language] == "python":
        return [sys.executable, "-c", code], directory
    if adapt := keyed(IN_A_BROWSER, block):
        code = adapt(code)
    script = node_project(code, directory / f"node-{block.line}")
    return ["node", script.name], script.parent


def run(block: Block, stack: RunningStack, directory: Path) -> str:
    command, cwd = command_for(block, as_run_here(block.code, stack.port), directory)
    environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(directory), "LANG": "C.UTF-8",
                   **READER_ENVIRONMENT}
    process = subprocess.Popen(command, cwd=cwd, env=environment, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        if person := keyed(PEOPLE, block):
            person(process, stack)
        stdout, stderr = process.communicate(timeout=BLOCK_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, f"{block.where} exited {process.returncode}:\n{stdout}\n{stderr}"
    return stdout


# ----- the run

RUN_BLOCKS = [block for block in every_block() if block.language in RUN]


@pytest.fixture(scope="module")
def stack():
    """Its own: the blocks create clients and users, fail logins and sign demo out, which the shared stack's tests
    should not meet."""
    running = RunningStack()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def reader_directory(tmp_path_factory):
    directory = tmp_path_factory.mktemp("reader")
    (directory / ".venv").symlink_to(ROOT / ".venv")
    reader_files(directory)
    return directory


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[block.where for block in RUN_BLOCKS])
def test_the_block_runs_as_written(block, stack, reader_directory, request):
    if block.not_run:
        pytest.skip(f"{block.where}: {block.not_run}")
    if RUN[block.language] == "node":
        request.getfixturevalue("node")  # make interop-deps: the pinned packages `npm i` comments name
    output = run(block, stack, reader_directory)
    if check := keyed(CHECKS, block):
        check(output, stack)


def test_every_block_is_code_that_runs_or_says_what_it_shows():
    """A fence's language says which: `sh`, `bash`, `js` or `python` run; `json`, `mermaid`, `text` (or none) show.
    `shell`, `console`, `javascript`… would be neither run nor seen to be skipped."""
    unknown = [f"{block.where} ```{block.language}" for block in every_block() if block.language not in {*RUN, *SHOWN}]
    assert unknown == []


def test_every_check_and_person_finds_its_one_block():
    """A check whose block moved or changed would otherwise never run again, silently."""
    for key in [*CHECKS, *PEOPLE, *IN_A_BROWSER]:
        name, marker = key
        matching = [block.where for block in RUN_BLOCKS if block.page == name and marker in block.code]
        assert len(matching) == 1, (key, matching)
        assert not next(block for block in RUN_BLOCKS if block.where == matching[0]).not_run, key


def test_a_mark_that_names_the_test_running_the_block_names_one_that_exists():
    named = {(block.where, test) for block in every_block() if block.not_run
             for test in re.findall(r"tests/[\w/]+\.py", block.not_run)}
    assert named and all((ROOT / test).is_file() for _, test in named), named


# ----- what a page promises about its blocks beyond their output

def third_party_imports(code: str) -> set[str]:
    tree = ast.parse(code)
    imported = {node.module.split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    return imported - set(sys.stdlib_module_names)


def installed_by(text: str, command: str) -> set[str]:
    """The package names a `pip install …` or `npm i …` names, without versions."""
    return {re.split(r"==|(?<=.)@", word)[0] for line in re.findall(rf"{command} ([^\n`]*)", text)
            for word in line.split()}


@pytest.mark.parametrize("block", [block for block in RUN_BLOCKS if block.language == "python"],
                         ids=lambda block: block.where)
def test_a_python_block_says_what_to_install(block):
    """The tests' environment has far more than a reader's: a fresh virtual environment with what the block's
    `pip install` comment names must run it (cryptography was missing once)."""
    assert third_party_imports(block.code) <= installed_by(block.code, "pip install"), block.where


def test_the_authing_sdk_examples_say_how_to_install_and_run_them():
    text = section(page("authing-sdks.md"), "## Using Authing's SDKs")
    sdk_page = [block for block in RUN_BLOCKS if block.page == "authing-sdks.md"]  # self-service.md has its own
    (python,) = [block.code for block in sdk_page if "from authing import" in block.code]
    (install,) = re.findall(r"`(pip install authing[^`]*)`", text)
    assert third_party_imports(python) <= installed_by(install, "pip install"), install
    (javascript,) = [block.code for block in sdk_page if '"authing-node-sdk"' in block.code]
    assert "ES module" in text and ".mjs" in text and '"type": "module"' in text
    (minimum,) = re.findall(r'"node": ">=(\d+)"', (NODE_MODULES.parent / "package.json").read_text())
    assert f"Node.js ≥ {minimum}" in text and f"Node.js >= {minimum}" in javascript


def test_moving_users_has_the_commands_it_promises():
    found = " ".join(block.code for block in RUN_BLOCKS if block.page == "moving-users.md" and not block.not_run)
    for command in ("users import", "--format authing", "--format auth0", "--format keycloak", "--format firebase",
                    "--format native", "upstream set", "upstream show", "upstream off", "migration status"):
        assert command in found, command
