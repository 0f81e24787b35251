"""Tooling outside the runtime: the demo data (`seed_demo`), the national-scale generator
(`seed_scale`) and what benchmarks share. It may import every app; no app imports it
(an import-linter contract, `lint-imports`)."""
