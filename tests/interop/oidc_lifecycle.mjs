// The whole token lifecycle through openid-client 6 (its own API, not v5's): discovery, the password grant,
// refresh with rotation, userinfo, introspection, revocation, client credentials and RP-initiated logout, for the
// confidential client demo-client (client_secret_basic) and the public client demo-spa (no client authentication).
// argv: issuer URL. Prints one JSON object of what each step returned; the Python test asserts on it.
import * as client from "openid-client-6";

const [issuerUrl] = process.argv.slice(2);
const SIGNED_OUT = "http://localhost:8080/signed-out";
const USER = { username: "demo", password: "demo-password", scope: "openid profile email offline_access" };
// v6 refuses http:// unless told otherwise; the local stack is plain http on 127.0.0.1.
const insecure = { execute: [client.allowInsecureRequests] };

/** The OAuth error code of a failed request, or a marker that it did not fail. */
async function errorOf(request) {
  try {
    await request;
    return { failed: false };
  } catch (error) {
    return { failed: true, error: error.error ?? null, status: error.status ?? null, name: error.name ?? null };
  }
}

const confidential = await client.discovery(new URL(issuerUrl), "demo-client", undefined,
                                            client.ClientSecretBasic("demo-secret"), insecure);
const server = confidential.serverMetadata();

// The password grant validates the id_token (signature by kid from jwks_uri, iss, aud, exp, iat).
const login = await client.genericGrantRequest(confidential, "password", USER);
const sub = login.claims().sub;

const refreshed = await client.refreshTokenGrant(confidential, login.refresh_token);
const userinfo = await client.fetchUserInfo(confidential, refreshed.access_token, sub);
const accessIntrospection = await client.tokenIntrospection(confidential, refreshed.access_token);
const refreshIntrospection = await client.tokenIntrospection(confidential, refreshed.refresh_token,
                                                             { token_type_hint: "refresh_token" });
await client.tokenRevocation(confidential, refreshed.refresh_token, { token_type_hint: "refresh_token" });
const revokedIntrospection = await client.tokenIntrospection(confidential, refreshed.refresh_token,
                                                             { token_type_hint: "refresh_token" });
const refreshAfterRevocation = await errorOf(client.refreshTokenGrant(confidential, refreshed.refresh_token));

const machine = await client.clientCredentialsGrant(confidential, { scope: "demo:read other:thing" });

const state = "lifecycle-state-42";
const endSessionUrl = client.buildEndSessionUrl(confidential, {
  id_token_hint: login.id_token,
  post_logout_redirect_uri: SIGNED_OUT,
  state,
});
const endSession = await fetch(endSessionUrl, { redirect: "manual" });

const spa = await client.discovery(new URL(issuerUrl), "demo-spa", { token_endpoint_auth_method: "none" },
                                   client.None(), insecure);
const spaLogin = await client.genericGrantRequest(spa, "password", USER);
const spaRefreshed = await client.refreshTokenGrant(spa, spaLogin.refresh_token);

console.log(JSON.stringify({
  issuer: server.issuer,
  endpoints: {
    userinfo: server.userinfo_endpoint,
    introspection: server.introspection_endpoint,
    revocation: server.revocation_endpoint,
    end_session: server.end_session_endpoint,
  },
  login: {
    sub,
    claims: login.claims(),
    token_type: login.token_type,
    scope: login.scope ?? null,
    has_refresh_token: Boolean(login.refresh_token),
  },
  refresh: {
    has_refresh_token: Boolean(refreshed.refresh_token),
    rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== login.refresh_token,
    new_access_token: refreshed.access_token !== login.access_token,
    id_token_sub: refreshed.id_token ? refreshed.claims().sub : null,
  },
  userinfo,
  introspection: { access: accessIntrospection, refresh: refreshIntrospection, revoked: revokedIntrospection },
  refresh_after_revocation: refreshAfterRevocation,
  client_credentials: {
    scope: machine.scope ?? null,
    rejected_scope: machine.rejected_scope ?? null,
    token_type: machine.token_type,
    has_access_token: Boolean(machine.access_token),
    has_id_token: "id_token" in machine,
    has_refresh_token: "refresh_token" in machine,
  },
  end_session: {
    url: endSessionUrl.href,
    state,
    status: endSession.status,
    location: endSession.headers.get("location"),
  },
  spa: {
    sub: spaLogin.claims().sub,
    aud: spaLogin.claims().aud,
    has_refresh_token: Boolean(spaLogin.refresh_token),
    rotated: Boolean(spaRefreshed.refresh_token) && spaRefreshed.refresh_token !== spaLogin.refresh_token,
    has_access_token: Boolean(spaRefreshed.access_token),
  },
}));
