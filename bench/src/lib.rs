//! Benchmarks live in `src/bin/`; see docs/benchmarks.md.
