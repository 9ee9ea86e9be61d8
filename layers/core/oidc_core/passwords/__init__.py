"""Passwords: Argon2id hashes as PHC strings (hashing), and decrypting passwords clients encrypted with RSA or SM2
(decryption)."""
