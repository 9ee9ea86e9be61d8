// A standard OIDC relying party (openid-client 5, certified by the OpenID Foundation) against our issuer:
// discovery, the password grant with client_secret_basic, and id_token validation against the published JWKS.
// argv: issuer URL. Prints the validated claims as JSON.
import { Issuer } from "openid-client";

const [issuerUrl] = process.argv.slice(2);
const issuer = await Issuer.discover(`${issuerUrl}/.well-known/openid-configuration`);
const client = new issuer.Client({
  client_id: "demo-client",
  client_secret: "demo-secret",
  token_endpoint_auth_method: "client_secret_basic",
});
// grant() validates the id_token: signature by kid from jwks_uri, iss, aud, exp, iat, at_hash.
const tokens = await client.grant({
  grant_type: "password",
  username: "demo",
  password: "demo-password",
  scope: "openid profile email offline_access",
});
console.log(JSON.stringify({ issuer: issuer.issuer, claims: tokens.claims(), expires_in: tokens.expires_in,
                             has_refresh_token: Boolean(tokens.refresh_token) }));
