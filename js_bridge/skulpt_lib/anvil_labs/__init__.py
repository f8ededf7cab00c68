"""anvil_labs on the Skulpt runtime: ``anvil_labs.non_blocking``."""
