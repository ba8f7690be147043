"""Client credentials, token issuing and token checking."""
