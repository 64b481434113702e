"""Benchmarks (``make bench``): speed against the physical floor and native tools, load, memory."""
