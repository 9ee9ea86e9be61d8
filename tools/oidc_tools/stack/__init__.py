"""What an operator does to a stack's data, local or deployed: provision.py creates what template.yaml declares,
operations.py creates and changes clients, users and keys. oidc-admin, the local stack, the bench and the tests all
call them, so demo and test data are made the way real data is."""
