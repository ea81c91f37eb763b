"""Small real HTTP services the project's tests probe (on 127.0.0.1 only)."""
