"""Speed and memory benchmarks: ``python -m benchmarks.<script>`` from the
repository root (benchmarks/README.md)."""
