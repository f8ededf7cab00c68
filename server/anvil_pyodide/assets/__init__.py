"""What the browser downloads: the Pyodide runtime and JS bridge files, the app's client code zip and its page.

May import: ``sessions`` (the page sets the session cookie), ``origins`` (build.json tells a refused
page why), Starlette.

Example:
    >>> from anvil_pyodide.assets.static import with_head_html
    >>> with_head_html("<head></head>", "<meta>")
    '<head><meta></head>'
"""
