"""What tests and benchmarks share to run real things: processes (``processes``) and an
SMTP server (``smtp``). Benchmarks import it too (``benchmarks/_repo.py``)."""
