"""Signals in: JSON and OTLP ingest, scraping, the persistent series store and what rules write back."""
