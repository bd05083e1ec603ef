"""Pure domain logic: no network, no AWS, no environment."""
