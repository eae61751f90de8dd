"""The readers' site, one module per kind of page."""
