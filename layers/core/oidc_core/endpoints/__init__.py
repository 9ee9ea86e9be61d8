"""Where a request enters: one module per HTTP endpoint, each reading the request and calling the grants, the login
path and the stores below it."""
