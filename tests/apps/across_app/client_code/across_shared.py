"""Nothing runs in the browser in these tests; the folder makes this an app."""
