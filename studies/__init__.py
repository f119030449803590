"""Evidence studies (does the method or the benchmark do what it claims?):
``python -m studies.<script>`` from the repository root
(studies/README.md)."""
