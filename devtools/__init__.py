"""newsflow's development tools: the sample news site, the demo, benchmarks, the golden pages,
extraction scoring, docs/sql.md's generator and the stub enricher.

A distribution of its own (devtools/pyproject.toml), installed editable next to newsflow by
`make install` and never by `pip install .`: these tools read the checkout (tests/fixtures,
docs/) and serve tests and benchmarks, not production. The runtime finds the `demo` and
`bench` commands and the stub enricher through entry points, so it never imports this package.
"""
