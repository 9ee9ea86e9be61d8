"""The words of the pages, in each language they are offered in (OIDC Core `ui_locales`, then Accept-Language)."""

from __future__ import annotations

SUPPORTED_LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "en"

STRINGS = {
    "en": {
        "login_title": "Sign in",
        "login_intro": "Sign in to continue to {client}.",
        "identifier": "Username, email or phone number",
        "password": "Password",
        "submit": "Sign in",
        "invalid_credentials": "The account or password is not correct. After repeated failures, sign-in pauses "
                               "for a while.",
        "too_many_requests": "Too many failed attempts from your network. Try again later.",
        "locked": "Too many failed attempts for this account. Try again later.",
        "consent_title": "Allow access?",
        "consent_intro": "{client} asks to:",
        "allow": "Allow",
        "deny": "Deny",
        "error_title": "Sign-in cannot continue",
        "bad_client": "The application that sent you here is not registered for this sign-in (unknown client_id "
                      "or redirect_uri). Go back to the application and try again.",
        "bad_request": "The sign-in request is not valid. Go back to the application and try again.",
        "expired": "This sign-in page has expired or was opened in another browser. Go back to the application "
                   "and start again.",
        "unavailable": "The service is temporarily unavailable. Try again in a moment.",
        "continue": "Continue",
        "cancel": "Cancel",
        "confirm_title": "Continue to the app?",
        "confirm_intro": "{client} on this device asks to sign you in.",
        "confirm_warning": "Continue only if you just started signing in to this app.",
        "signed_out_title": "Signed out",
        "signed_out": "You are signed out.",
        "logout_title": "Sign out?",
        "logout_question": "Do you want to sign out of this account on this browser?",
        "sign_out": "Sign out",
        "stay_signed_in": "Stay signed in",
        "signed_in_title": "Still signed in",
        "still_signed_in": "You are still signed in. You can close this page.",
        "logout_invalid": "The sign-out request is not valid: the id_token_hint was not issued here.",
        "logout_expired": "This sign-out page has expired or was opened in another browser. Nothing was changed.",
    },
    "zh-CN": {
        "login_title": "登录",
        "login_intro": "登录以继续使用 {client}。",
        "identifier": "用户名、邮箱或手机号",
        "password": "密码",
        "submit": "登录",
        "invalid_credentials": "账号或密码不正确。多次失败后，登录将暂停一段时间。",
        "too_many_requests": "您所在网络的失败尝试过多，请稍后再试。",
        "locked": "此账号的失败尝试过多，请稍后再试。",
        "consent_title": "是否允许访问？",
        "consent_intro": "{client} 请求：",
        "allow": "允许",
        "deny": "拒绝",
        "error_title": "无法继续登录",
        "bad_client": "将您带到这里的应用未注册此登录方式（client_id 或 redirect_uri 无效）。请返回应用重试。",
        "bad_request": "登录请求无效。请返回应用重试。",
        "expired": "此登录页面已过期，或是在另一个浏览器中打开的。请返回应用重新开始。",
        "unavailable": "服务暂时不可用，请稍后再试。",
        "continue": "继续",
        "cancel": "取消",
        "confirm_title": "是否继续前往应用？",
        "confirm_intro": "此设备上的 {client} 请求让您登录。",
        "confirm_warning": "仅当您刚刚开始登录此应用时才继续。",
        "signed_out_title": "已退出登录",
        "signed_out": "您已退出登录。",
        "logout_title": "是否退出登录？",
        "logout_question": "是否在此浏览器上退出此账号？",
        "sign_out": "退出登录",
        "stay_signed_in": "保持登录",
        "signed_in_title": "仍在登录状态",
        "still_signed_in": "您仍处于登录状态，可以关闭此页面。",
        "logout_invalid": "退出登录请求无效：id_token_hint 不是由此处签发的。",
        "logout_expired": "此退出登录页面已过期，或是在另一个浏览器中打开的。未做任何更改。",
    },
}

SCOPE_WORDS = {
    "en": {
        "openid": "Know who you are (your user ID)",
        "profile": "See your name and profile",
        "email": "See your email address",
        "phone": "See your phone number",
        "address": "See your address",
        "offline_access": "Keep access while you are away (a refresh token)",
        "api": "Use the API permission “{scope}”",
    },
    "zh-CN": {
        "openid": "确认您的身份（用户 ID）",
        "profile": "查看您的姓名和个人资料",
        "email": "查看您的邮箱地址",
        "phone": "查看您的手机号",
        "address": "查看您的地址",
        "offline_access": "在您离开时保持访问（刷新令牌）",
        "api": "使用 API 权限“{scope}”",
    },
}


def _supported(tag: str) -> str | None:
    tag = tag.strip().lower().replace("_", "-")
    if tag == "zh" or tag.startswith(("zh-cn", "zh-hans", "zh-sg")):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def choose_locale(ui_locales: str | None, accept_language: str | None) -> str:
    """The first supported language of ui_locales (space-separated, in order of preference), else the most preferred
    supported one of Accept-Language (RFC 9110 §12.5.4, q-values), else English."""
    for tag in (ui_locales or "").split():
        if found := _supported(tag):
            return found
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, parameters = part.partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0 and (found := _supported(tag)):
            ranked.append((-quality, position, found))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def scope_words(scope: str, locale: str) -> str:
    words = SCOPE_WORDS[locale]
    return words.get(scope) or words["api"].format(scope=scope)
