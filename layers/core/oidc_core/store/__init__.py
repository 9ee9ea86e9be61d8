"""The DynamoDB tables behind small functions: users and their login identifiers, clients, refresh token
families, and the BatchGetItem helpers (dynamo)."""
