// Encrypts passwords the way browser clients built for Authing do, for test_js_encryption_decrypts.py.
//
// stdin: one JSON request, or an array of them; stdout: the ciphertext (null where the library refuses, as
// JSEncrypt does for a too-long message), or an array of them in the same order.
// "short": true on an "rsa"/"rsa-unpadded" request encrypts again until the ciphertext integer has a leading
// zero byte (about 1 in 200), so that tests get the JSEncrypt 2.x short form every time instead of by luck.
//   {"type": "rsa", "publicKey": PEM, "plaintext": "..."}        JSEncrypt 3.5.4 encrypt(): PKCS#1 v1.5, base64
//   {"type": "rsa-unpadded", ...}                                as JSEncrypt 2.x and Authing's miniapp-jsencrypt
//                                                                send it: ciphertext without leading zero bytes
//   {"type": "rsa-oaep", ...}                                    node-forge RSA-OAEP, SHA-256 and MGF1-SHA-256, UTF-8
//   {"type": "rsa-oaep-jsencrypt", ...}                          JSEncrypt 3.5.4 encryptOAEP()
//   {"type": "sm2", "publicKey": "04...", "plaintext": "...", "cipherMode": 1}   sm-crypto doEncrypt() (mode 1 default)

import { createRequire } from "node:module";

// JSEncrypt only uses crypto.getRandomValues for its padding bytes when it sees `window` (it then reads
// self.crypto); otherwise it silently seeds from Math.random. Look like a browser; nothing else is needed.
globalThis.window ??= globalThis;
globalThis.self ??= globalThis;

const require = createRequire(import.meta.url);
// jsencrypt's ESM entry uses extensionless relative imports that node cannot resolve; the CommonJS bundle
// (bin/jsencrypt.min.js) is the same code and exports the JSEncrypt class itself.
const JSEncrypt = require("jsencrypt");
const forge = require("node-forge");
const { sm2 } = require("sm-crypto");

function jsencrypt(publicKey) {
  const encryptor = new JSEncrypt();
  encryptor.setPublicKey(publicKey);
  return encryptor;
}

// JSEncrypt 2.x hex-encoded the ciphertext integer with no left padding (3.x pads it to the key size).
// Dropping the leading zero bytes of a 3.x ciphertext gives exactly what 2.x sends; its padding code is the same.
function withoutLeadingZeros(base64) {
  const bytes = Buffer.from(base64, "base64");
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start).toString("base64");
}

function pkcs1(publicKey, plaintext, short) {
  const encryptor = jsencrypt(publicKey);
  for (let attempt = 0; attempt < 100000; attempt++) {
    const ciphertext = encryptor.encrypt(plaintext);
    if (!ciphertext) return null;
    if (!short || Buffer.from(ciphertext, "base64")[0] === 0) return ciphertext;
  }
  throw new Error("no ciphertext with a leading zero byte in 100000 attempts");
}

function encrypt({ type, publicKey, plaintext, cipherMode, short }) {
  switch (type) {
    case "rsa":
      return pkcs1(publicKey, plaintext, short);
    case "rsa-unpadded": {
      const ciphertext = pkcs1(publicKey, plaintext, short);
      return ciphertext && withoutLeadingZeros(ciphertext);
    }
    case "rsa-oaep-jsencrypt":
      return jsencrypt(publicKey).encryptOAEP(plaintext) || null;
    case "rsa-oaep": {
      const sha256 = () => forge.md.sha256.create();
      const key = forge.pki.publicKeyFromPem(publicKey);
      const ciphertext = key.encrypt(forge.util.encodeUtf8(plaintext), "RSA-OAEP", {
        md: sha256(),
        mgf1: { md: sha256() },
      });
      return forge.util.encode64(ciphertext);
    }
    case "sm2":
      return sm2.doEncrypt(plaintext, publicKey, cipherMode ?? 1);
    default:
      throw new Error(`unknown request type ${JSON.stringify(type)}`);
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const result = Array.isArray(request) ? request.map(encrypt) : encrypt(request);
process.stdout.write(JSON.stringify(result) + "\n");
