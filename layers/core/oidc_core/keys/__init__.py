"""Where keys live: the signing and password keys from Secrets Manager or KMS (keyring, kms), their rotation, and
JWK helpers."""
