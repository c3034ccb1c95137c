"""Helpers of the scale benchmarks (scripts/bench_scale.py, scripts/bench_vector_factories.py)."""
