"""Losses with a concept of their own (none yet: the binary head's
cross-entropy lives in ``heads/binary_cls_head.py``)."""
