"""Pure ASGI middleware: they see every response, including errors raised outside routes."""
