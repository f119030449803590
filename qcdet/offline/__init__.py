"""Offline jobs that prepare data before training, each run by a tool:

- ``face_crops``: raw videos -> aligned face crops, real/fake pairs and
  annotation files (``tools/data/preprocess.py``);
- ``synthetic_data``: the embedded synthetic demo dataset
  (``tools/data/make_demo_data.py``);
- ``static_quality``: the static quality score of every fake, written into
  an annotation file (``tools/quality/score_static.py``), with the
  evaluators of ``quality_evaluators``.

Nothing here is imported by ``import qcdet`` or by the training loop."""
