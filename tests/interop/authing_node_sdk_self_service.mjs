// Authing's Node SDK (authing-node-sdk 4.0.1, unchanged) calling the self-service methods against our stack:
// sendEmail, sendSms, signUpByEmailCode, signUpByPhoneCode, signUpByUsernamePassword, signUpByEmailPassword,
// signInByEmailPassCode, signInByPhonePassCode, verifyResetPasswordRequest, resetPassword and updatePassword (with
// the token setAccessToken holds). Codes come from the local outbox (GET /_local/outbox).
// argv: base URL, a suffix that makes this run's addresses its own. Prints one JSON object of what each call
// returned; test_authing_node_sdk_self_service.py asserts on it.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { AuthenticationClient } = require("authing-node-sdk");

const [base, suffix] = process.argv.slice(2);
const client = new AuthenticationClient({ appId: "demo-client", appSecret: "demo-secret", appHost: base,
                                          tokenEndPointAuthMethod: "client_secret_post" });
const email = `node-${suffix}@example.com`;
const national = `139${suffix.replace(/[^0-9]/g, "").padStart(8, "0").slice(-8)}`;

/** The newest code the outbox holds for an address. */
async function codeSentTo(address) {
  const { messages } = await (await fetch(`${base}/_local/outbox`)).json();
  return messages.find((message) => message.to === address).text.match(/(?<![0-9])[0-9]{6}(?![0-9])/)[0];
}

/** What a call answered: Authing's envelope, or (axios rejects non-2xx) the envelope of the error. */
async function answer(call) {
  try {
    return await call;
  } catch (error) {
    return error.response?.data ?? { thrown: error.message };
  }
}

const result = {};
result.sendEmail = await answer(client.sendEmail({ channel: "CHANNEL_REGISTER", email }));
result.signUpByEmailCode = await answer(client.signUpByEmailCode({ email, passCode: await codeSentTo(email),
                                                                  profile: { nickname: "node" } }));
await client.sendEmail({ channel: "CHANNEL_LOGIN", email });
result.signInByEmailPassCode = await answer(client.signInByEmailPassCode({ email, passCode: await codeSentTo(email),
                                                                          options: { scope: "openid email" } }));
result.wrongCode = await answer(client.signInByEmailPassCode({ email, passCode: "000000" }));
await client.sendEmail({ channel: "CHANNEL_RESET_PASSWORD", email });
result.verifyResetPasswordRequest = await answer(client.verifyResetPasswordRequest({
  verifyMethod: "EMAIL_PASSCODE", emailPassCodePayload: { email, passCode: await codeSentTo(email) } }));
result.resetPassword = await answer(client.resetPassword({
  password: "a node sdk password", passwordResetToken: result.verifyResetPasswordRequest.data?.passwordResetToken }));
const signedIn = await client.signInByEmailPassword({ email, password: "a node sdk password" });
client.setAccessToken(signedIn.data.access_token);
result.updatePassword = await answer(client.updatePassword({ oldPassword: "a node sdk password",
                                                             newPassword: "another node password" }));
result.signInAfterUpdate = await answer(client.signInByEmailPassword({ email, password: "another node password" }));

result.sendSms = await answer(client.sendSms({ channel: "CHANNEL_REGISTER", phoneNumber: national,
                                               phoneCountryCode: "+86" }));
result.signUpByPhoneCode = await answer(client.signUpByPhoneCode({
  phone: national, phoneCountryCode: "+86", passCode: await codeSentTo(`+86${national}`) }));
await client.sendSms({ channel: "CHANNEL_LOGIN", phoneNumber: national, phoneCountryCode: "+86" });
result.signInByPhonePassCode = await answer(client.signInByPhonePassCode({
  phone: national, phoneCountryCode: "+86", passCode: await codeSentTo(`+86${national}`) }));
result.signUpByUsernamePassword = await answer(client.signUpByUsernamePassword({
  username: `node-${suffix}`, password: "a long enough password", profile: { givenName: "Node" } }));
result.signUpByEmailPassword = await answer(client.signUpByEmailPassword({
  email: `node-pw-${suffix}@example.com`, password: "a long enough password" }));
console.log(JSON.stringify(result));
