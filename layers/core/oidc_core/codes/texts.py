"""What a code's email or SMS says, in zh-CN and English: plain, short, naming the product and how long the code
lives, and what to do if the reader did not ask for it. The locale is the one the request's page would use
(pages.strings.choose_locale); any other falls back to English.

An SMS carries no subject; in Chinese it opens with the product's name in 【】, the signature Chinese carriers expect.
"""

from __future__ import annotations

from dataclasses import dataclass

from oidc_core.codes.channels import (CHANNEL_BIND_EMAIL, CHANNEL_BIND_PHONE, CHANNEL_LOGIN, CHANNEL_REGISTER,
                                      CHANNEL_RESET_PASSWORD, CHANNEL_VERIFY_EMAIL_LINK, EMAIL)

LOCALES = ("zh-CN", "en")


@dataclass(frozen=True)
class Message:
    subject: str | None  # None for an SMS
    text: str


PURPOSES = {
    "en": {
        CHANNEL_LOGIN: "sign-in code",
        CHANNEL_REGISTER: "sign-up code",
        CHANNEL_RESET_PASSWORD: "password reset code",
        CHANNEL_VERIFY_EMAIL_LINK: "code to verify this email address",
        CHANNEL_BIND_PHONE: "code to add this phone number to your account",
        CHANNEL_BIND_EMAIL: "code to add this email address to your account",
    },
    "zh-CN": {
        CHANNEL_LOGIN: "登录验证码",
        CHANNEL_REGISTER: "注册验证码",
        CHANNEL_RESET_PASSWORD: "重置密码验证码",
        CHANNEL_VERIFY_EMAIL_LINK: "邮箱验证码",
        CHANNEL_BIND_PHONE: "绑定手机号验证码",
        CHANNEL_BIND_EMAIL: "绑定邮箱验证码",
    },
}

_WORDS = {
    "en": {
        "code": "Your {product} {purpose} is {code}. It expires in {lifetime}. Do not share it with anyone. If you "
                "did not ask for it, ignore this message.",
        "code_subject": "Your {product} {purpose}",
        "taken": "Someone, perhaps you, tried to use this address for a new {product} account, but it already has "
                 "one. Sign in instead, or reset your password if you forgot it. If it was not you, ignore this "
                 "message.",
        "taken_subject": "You already have a {product} account",
        "no_account": "Someone, perhaps you, asked for a {product} {purpose} for this address, but no account uses "
                      "it. If you have an account, it may be under another address. If it was not you, ignore this "
                      "message.",
        "no_account_subject": "No {product} account uses this address",
        "minutes": lambda n: f"{n} minute" if n == 1 else f"{n} minutes",
        "seconds": lambda n: f"{n} seconds",
    },
    "zh-CN": {
        "code": "您的{product}{purpose}是 {code}，{lifetime}内有效。请勿告诉他人。如非本人操作，请忽略本消息。",
        "code_subject": "{product}{purpose}",
        "taken": "有人（可能是您）尝试用此地址注册{product}账号，但该地址已有账号。请直接登录，忘记密码可重置。"
                 "如非本人操作，请忽略本消息。",
        "taken_subject": "您已有{product}账号",
        "no_account": "有人（可能是您）为此地址申请了{product}{purpose}，但没有账号使用此地址。您的账号可能使用了"
                      "其他地址。如非本人操作，请忽略本消息。",
        "no_account_subject": "没有{product}账号使用此地址",
        "minutes": lambda n: f"{n} 分钟",
        "seconds": lambda n: f"{n} 秒",
    },
}


def _locale(locale: str | None) -> str:
    return locale if locale in LOCALES else "en"


def lifetime(seconds: int, locale: str | None) -> str:
    words = _WORDS[_locale(locale)]
    return words["minutes"](seconds // 60) if seconds % 60 == 0 else words["seconds"](seconds)


def _compose(kind: str, medium: str, locale: str | None, product: str, **values) -> Message:
    locale = _locale(locale)
    words = _WORDS[locale]
    text = words[kind].format(product=product, **values)
    if medium == EMAIL:
        return Message(words[f"{kind}_subject"].format(product=product, **values), text)
    return Message(None, f"【{product}】{text}" if locale == "zh-CN" else text)


def code_message(channel: str, medium: str, code: str, *, ttl_seconds: int, product: str,
                 locale: str | None) -> Message:
    """The message that carries a code."""
    return _compose("code", medium, locale, product, code=code, purpose=PURPOSES[_locale(locale)][channel],
                    lifetime=lifetime(ttl_seconds, locale))


def address_taken_message(medium: str, *, product: str, locale: str | None) -> Message:
    """Instead of a sign-up or bind code, to an address that already has an account: it proves nothing the owner of
    the address does not know, and the person asking learns it only by reading that mailbox or phone."""
    return _compose("taken", medium, locale, product)


def no_account_message(channel: str, medium: str, *, product: str, locale: str | None) -> Message:
    """Instead of a sign-in or reset code, to an address no account uses (channels.delivery_for)."""
    return _compose("no_account", medium, locale, product, purpose=PURPOSES[_locale(locale)][channel])
