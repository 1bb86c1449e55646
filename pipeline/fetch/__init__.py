"""Discovery and polite fetching: the only package that talks to news sites."""
