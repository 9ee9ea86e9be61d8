"""Authing's v3 API (`/api/v3/…`) as its SDKs call it: one module per call family (`signin` today; sign-up, the
send-sms and send-email codes, the reset and update-password calls beside it), all read by `request` (a JSON object,
the app in `x-authing-app-id`, a user's access token in `authorization`) and answered by `envelope` (Authing's
`{statusCode, message, apiCode?, requestId?, data}`, errors included), so a new call writes only what it does."""
