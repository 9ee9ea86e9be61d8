"""Second factors: TOTP codes (totp, the enrolment QR code in qr_code), recovery codes, passkeys (webauthn), and how
a TOTP secret is kept sealed at rest (sealed_secrets). Groundwork of issue 26: no page, endpoint or grant calls them
yet (docs/mfa.md)."""
