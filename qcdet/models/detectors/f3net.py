"""f3net detector (owner: zoo helper)."""
__all__ = []
