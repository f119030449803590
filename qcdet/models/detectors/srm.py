"""srm detector (owner: zoo helper)."""
__all__ = []
