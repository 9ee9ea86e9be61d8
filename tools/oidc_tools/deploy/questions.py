"""`make deploy GUIDED=1`'s questions: only those without a default (a stack name, a region, a custom domain with its
certificate, or an issuer), each checked as it is answered. Enter takes [the default]; `-` goes back to the question
before, so that a question that needs an answer (the certificate ARN, once a custom domain was given) is never a
loop with no way out but Ctrl-C."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

from oidc_tools import template as cfn

DEFAULT_STACK_NAME = "serverless-oidc"
# CloudFormation: a letter, then letters, digits and hyphens, 128 at most
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
BACK = "-"  # no answer starts with it: not a stack name, a region, a domain, an ARN or a URL


class Back(Exception):
    """The operator asked for the question before."""


def ask(question: str, default: str | None, check: Callable[[str], str | None], can_go_back: bool = True) -> str:
    """One question at the terminal; Enter takes the default (none: an answer is needed). A refused answer is said in
    one line and asked again; `-` raises Back."""
    shown = f" [{default}]" if default is not None else ""
    while True:
        answer = input(f"{question}{shown}: ").strip()
        if answer == BACK and can_go_back:
            raise Back
        if not answer and default is None:
            print(f"  an answer is needed ({BACK} goes back to the question before)" if can_go_back
                  else "  an answer is needed", file=sys.stderr)
            continue
        answer = answer or default
        problem = check(answer)
        if problem is None:
            return answer
        print(f"  {problem}", file=sys.stderr)


def _pattern_check(pattern: re.Pattern, what: str):
    return lambda answer: None if pattern.fullmatch(answer) else f"{answer!r} is not {what}"


def _parameter_check(template: dict, name: str):
    return lambda answer: cfn.parameter_problem(name, template["Parameters"][name], answer)


def _steps(template: dict, known: dict[str, str], defaults: dict[str, str | None]):
    """(key, question) for the questions in order; a question is a function of the answers so far (None: not asked,
    as the certificate is not without a custom domain)."""
    return [
        ("stack_name", lambda answers: ("Stack name", defaults["stack_name"], _pattern_check(
            STACK_NAME, "a stack name (a letter, then letters, digits and hyphens)"))),
        ("region", lambda answers: ("AWS region", defaults["region"],
                                    _pattern_check(REGION, "an AWS region such as eu-west-1"))),
        ("DomainName", lambda answers: ("Custom domain for the API, e.g. auth.example.com (Enter: none, the API's own "
                                        "URL)", known.get("DomainName", ""), _parameter_check(template, "DomainName"))),
        ("CertificateArn", lambda answers: None if not answers["DomainName"] else (
            f"ACM certificate ARN for {answers['DomainName']}, issued in {answers['region']}",
            known.get("CertificateArn") or None, _parameter_check(template, "CertificateArn"))),
        ("IssuerUrl", lambda answers: None if answers["DomainName"] else (
            "Issuer URL, for a front of your own such as CloudFront (Enter: none, the API's own URL)",
            known.get("IssuerUrl", ""), _parameter_check(template, "IssuerUrl"))),
    ]


def ask_all(template: dict, known: dict[str, str], defaults: dict[str, str | None]) -> dict[str, str]:
    """Every question in order, going back one on `-` (past a question that was not asked)."""
    steps, answers, index, asked = _steps(template, known, defaults), {}, 0, []
    while index < len(steps):
        key, make = steps[index]
        question = make(answers)
        if question is None:
            answers.pop(key, None)
            index += 1
            continue
        try:
            answers[key] = ask(*question, can_go_back=bool(asked))
        except Back:
            index = asked.pop()
            continue
        asked.append(index)
        index += 1
    return answers
