"""Core: audit chain, releasability and `restrict(user, action)`, request context, errors."""
