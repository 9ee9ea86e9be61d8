"""Developer and operator tools, never deployed, one folder per role (docs/architecture.md, "The tools, room by
room"): stack/ (what an operator does to a stack's data), local/ (make dev, make invoke, the emulators), admin/
(oidc-admin and its user import), bench/ (make bench), deploy/ (make deploy). template.py reads template.yaml for
all of them; client_encryption.py is what a client does to a password."""
