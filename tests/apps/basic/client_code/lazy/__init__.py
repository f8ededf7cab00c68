"""A package of the app's own that nothing imports at start-up (tests/host/server/test_no_import_on_request.py)."""
