"""The one path that checks a password (credentials), client authentication, lockout, per-IP throttling and the
audit trail of every attempt."""
