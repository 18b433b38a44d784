"""HTTP API (FastAPI). Thin: parse the request, call one service, render."""
