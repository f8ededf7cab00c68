"""anvil_labs: extras Anvil users know from the anvil-labs library (``anvil_labs.non_blocking``).

Example:
    >>> import anvil_labs.non_blocking as nb
    >>> sorted(n for n in nb.__all__ if not n[0].isupper())
    ['call_async', 'cancel', 'defer', 'repeat', 'wait_for']
"""
