"""Benchmarks: `newsflow bench extract | enrich | delivery | e2e`. Figures, never assertions."""
