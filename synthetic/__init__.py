"""Synthetic catalogues at scale, for the benchmark and the tests: `manage.py
generate_catalogue` and `synthetic.generator`. A development tool beside the catalogue, not part
of it: it writes no history and serves no reader."""
