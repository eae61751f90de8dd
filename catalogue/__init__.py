"""The catalogue: the domain's records and every rule about them."""
