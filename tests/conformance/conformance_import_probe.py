"""A module nobody imports up front: named by a received portable type, it shows who imports it.

anvil-uplink imports the module named in an unknown ``typeName``; our decoder refuses unless it is
given an ``import_module`` hook (test_uplink_differences.py).
"""

import anvil.server


@anvil.server.portable_class
class Probe:
    """Registered as ``conformance_import_probe.Probe`` once this module is imported."""
