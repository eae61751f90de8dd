"""The JSON API: the catalogue's records for scripts, read freely and written by curators."""
