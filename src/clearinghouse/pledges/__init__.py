"""Pledges (in kind and financial), their allocations to requirements, and deliveries."""
