"""core detector (owner: zoo helper)."""
__all__ = []
