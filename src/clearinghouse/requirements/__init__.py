"""Requirements: the recipient's prioritised needs."""
