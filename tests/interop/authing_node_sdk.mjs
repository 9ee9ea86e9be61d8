// Authing's Node SDK (authing-node-sdk 4.0.1, unchanged) against our stack: password sign-in by username, email,
// phone and account with plain, RSA (JSEncrypt) and SM2 (sm-crypto) passwords to the keys read by getSystemInfo,
// then refresh, introspection, userinfo (every way the SDK offers), revocation, client credentials, buildLogoutUrl
// followed without following its redirect, and a wrong password.
// argv: base URL, tokenEndPointAuthMethod ("client_secret_post" | "client_secret_basic" for demo-client, "none" for
// the public client demo-spa). Prints one JSON object of what each step returned and a summary of every request the
// SDK made (names and schemes, never secrets); test_authing_node_sdk.py asserts on it.
import { createRequire } from "node:module";

// JSEncrypt takes its random padding from crypto.getRandomValues only where it sees a browser (see encrypt.mjs).
globalThis.window ??= globalThis;
globalThis.self ??= globalThis;

const require = createRequire(import.meta.url);
const { AuthenticationClient } = require("authing-node-sdk");
const JSEncrypt = require("jsencrypt");
const { sm2 } = require("sm-crypto");

// An unexpected failure: one line to stderr instead of axios's whole request and socket.
process.on("uncaughtException", (error) => {
  const answer = error.response ? ` -> ${error.response.status} ${JSON.stringify(error.response.data)}` : "";
  const request = `${error.config?.method} ${error.config?.url}`;
  console.error(`${error.name}: ${error.message}: ${request}${answer}\n${error.stack}`);
  process.exit(1);
});

const [base, method] = process.argv.slice(2);
const SIGNED_OUT = "http://localhost:8080/signed-out";
const PASSWORD = "demo-password";
const SCOPE = "openid profile email phone offline_access";
const IDENTIFIERS = { username: "demo", email: "demo@example.com", phone: "13800138000", account: "demo@example.com" };

const publicClient = method === "none";
const client = new AuthenticationClient({
  appId: publicClient ? "demo-spa" : "demo-client",
  appSecret: publicClient ? undefined : "demo-secret",
  appHost: base,
  tokenEndPointAuthMethod: method,
  introspectionEndPointAuthMethod: method,
  revocationEndPointAuthMethod: method,
});
const SIGN_IN = {
  username: (value, password, options) => client.signInByUsernamePassword({ username: value, password, options }),
  email: (value, password, options) => client.signInByEmailPassword({ email: value, password, options }),
  phone: (value, password, options) => client.signInByPhonePassword({ phone: value, password, options }),
  account: (value, password, options) => client.signInByAccountPassword({ account: value, password, options }),
};

// What the SDK sends, recorded from its own axios instance: the path, the query and body parameter names, the client
// as the Authorization header names it. Values stay out: this is printed and ends up in test output.
const sent = [];
client.httpClient.axios.interceptors.request.use((config) => {
  const url = new URL(config.url, config.baseURL ?? base);
  const data = config.data;
  const form = typeof data === "string" ? Object.fromEntries(new URLSearchParams(data)) : null;
  const authorization = config.headers.get("authorization") ?? null;
  let authorizationSummary = authorization && authorization.split(" ")[0];
  if (authorization?.startsWith("Basic ")) {
    authorizationSummary = `Basic ${Buffer.from(authorization.slice(6), "base64").toString().split(":")[0]}:…`;
  } else if (authorization && !authorization.includes(" ")) {
    authorizationSummary = "(a value without a scheme)";
  }
  sent.push({
    method: config.method.toUpperCase(),
    path: url.pathname,
    query: [...new Set([...url.searchParams.keys(), ...Object.keys(config.params ?? {})])],
    body: form ? Object.keys(form) : data && typeof data === "object" ? Object.keys(data) : [],
    password_payload: data?.passwordPayload ? Object.keys(data.passwordPayload) : null,
    options: data?.options ?? null,
    authorization: authorizationSummary,
    app_id_header: config.headers.get("x-authing-app-id") ?? null,
  });
  return config;
});

/** The HTTP status and body of a failed SDK call (axios rejects every non-2xx answer). */
async function failure(call) {
  try {
    return { failed: false, value: await call };
  } catch (error) {
    return { failed: true, status: error.response?.status ?? null, data: error.response?.data ?? null,
             name: error.name, message: error.message };
  }
}

function summary(answer) {
  const data = answer.data ?? {};
  return {
    statusCode: answer.statusCode,
    message: answer.message,
    keys: Object.keys(data).sort(),
    token_type: data.token_type,
    expire_in: data.expire_in,
    scope: data.scope,
  };
}

const result = { method, sent };

const system = await client.getSystemInfo();
result.system = { keys: Object.keys(system).sort(), rsa: Boolean(system.rsa?.publicKey), sm2: system.sm2?.cipherMode };

// Before the sign-ins, so that their successes reset the lockout counter this failure adds to.
result.wrong_password = await failure(client.signInByUsernamePassword({ username: "demo",
                                                                        password: "wrong-password" }));

const rsa = new JSEncrypt();
rsa.setPublicKey(system.rsa.publicKey);
const encrypt = {
  none: (password) => password,
  rsa: (password) => rsa.encrypt(password),
  sm2: (password) => sm2.doEncrypt(password, system.sm2.publicKey, system.sm2.cipherMode),
};

result.signins = {};
const logins = {};
for (const [kind, value] of Object.entries(IDENTIFIERS)) {
  for (const [type, encryptPassword] of Object.entries(encrypt)) {
    const answer = await SIGN_IN[kind](value, encryptPassword(PASSWORD), { passwordEncryptType: type, scope: SCOPE });
    result.signins[`${kind} ${type}`] = summary(answer);
    logins[`${kind} ${type}`] = answer.data;
  }
}

const login = logins["username none"];
result.id_token = await client.parseIDToken(login.id_token);
result.access_token = await client.parseAccessToken(login.access_token);

const refreshed = await client.getNewAccessTokenByRefreshToken(login.refresh_token);
result.refresh = {
  keys: Object.keys(refreshed).sort(),
  rotated: refreshed.refresh_token !== login.refresh_token,
  token_type: refreshed.token_type,
  scope: refreshed.scope,
};
// A public client may not introspect (RFC 7662 §2.1): its calls reject, with the answer kept to check.
result.introspection = {
  access: await failure(client.introspectToken(refreshed.access_token)),
  refresh: await failure(client.introspectToken(refreshed.refresh_token)),
};

const userinfoWays = {
  "default (GET, query)": undefined,
  "GET query": { method: "GET", tokenPlace: "query" },
  "GET header": { method: "GET", tokenPlace: "header" },
  "POST header": { method: "POST", tokenPlace: "header" },
  "POST body": { method: "POST", tokenPlace: "body" },
  "POST query": { method: "POST", tokenPlace: "query" },
};
result.userinfo = {};
for (const [way, options] of Object.entries(userinfoWays)) {
  result.userinfo[way] = await failure(client.getUserInfoByAccessToken(refreshed.access_token, options));
}

result.revocation = { access: await client.revokeToken(refreshed.access_token) };
result.revocation.access_introspection = await failure(client.introspectToken(refreshed.access_token));
result.revocation.userinfo = await failure(client.getUserInfoByAccessToken(refreshed.access_token));
result.revocation.refresh = await client.revokeToken(refreshed.refresh_token);
result.revocation.refresh_introspection = await failure(client.introspectToken(refreshed.refresh_token));
result.revocation.refresh_grant = await failure(client.getNewAccessTokenByRefreshToken(refreshed.refresh_token));

if (!publicClient) {  // Authing's accessKey and accessSecret are a programmatic account's; here the client's own
  const machine = await failure(client.getAccessTokenByClientCredentials(
    "demo:read", { accessKey: "demo-client", accessSecret: "demo-secret" }));
  result.client_credentials = machine.failed ? machine : { failed: false, keys: Object.keys(machine.value).sort(),
    token_type: machine.value.token_type, scope: machine.value.scope };
}

const session = logins["email none"];
const state = `authing-node-${method}`;
const logoutUrl = client.buildLogoutUrl({ idToken: session.id_token, redirectUri: SIGNED_OUT, state });
const logout = await fetch(logoutUrl, { redirect: "manual" });
const built = new URL(logoutUrl);
result.logout = {
  path: built.pathname,
  query: Object.fromEntries([...built.searchParams].map(([name, value]) => [name, name === "id_token_hint"
    ? (value === session.id_token ? "(the id_token)" : "(another value)") : value])),
  state,
  status: logout.status,
  location: logout.headers.get("location"),
  refresh_after: await failure(client.getNewAccessTokenByRefreshToken(session.refresh_token)),
};

// Authing's docs have an app keep the user's access token in the client after login (setAccessToken, or the
// accessToken option); from then on the SDK sends that token, without a scheme, as the Authorization header of every
// request that does not carry Basic: it replaces the Bearer header the userinfo call sets, and is added to all others.
const again = (await client.signInByUsernamePassword({ username: "demo", password: PASSWORD,
                                                        options: { scope: SCOPE } })).data;
client.setAccessToken(again.access_token);
const withToken = {
  sign_in: await failure(client.signInByUsernamePassword({ username: "demo", password: PASSWORD,
                                                           options: { scope: SCOPE } })),
  refresh: await failure(client.getNewAccessTokenByRefreshToken(again.refresh_token)),
  introspection: await failure(client.introspectToken(again.access_token)),
  userinfo: {},
};
for (const [way, options] of Object.entries(userinfoWays)) {
  withToken.userinfo[way] = await failure(client.getUserInfoByAccessToken(again.access_token, options));
}
if (!publicClient) {
  withToken.client_credentials = await failure(client.getAccessTokenByClientCredentials(
    "demo:read", { accessKey: "demo-client", accessSecret: "demo-secret" }));
}
withToken.revocation = await failure(client.revokeToken(again.access_token));
for (const step of ["sign_in", "refresh", "client_credentials"]) {  // keep the outcome, drop the tokens
  if (withToken[step] && !withToken[step].failed) withToken[step] = { failed: false };
}
result.with_access_token = withToken;

console.log(JSON.stringify(result));
