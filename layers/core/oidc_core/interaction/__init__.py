"""The browser sign-in's model, apart from any page: the authorization request and its checks (request), the
interaction policy that decides which step a request still needs (policy), the interaction a page's form names
(pending), and the authorization response: codes, response modes, iss (response)."""
