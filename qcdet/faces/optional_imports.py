"""The face libraries' lazy imports (one helper for every optional package,
:mod:`qcdet.utils.optional_imports`) and the dlib model files."""
from qcdet.utils.optional_imports import import_optional

__all__ = ['import_optional', 'dlib_model_path']


# model name -> function of face_recognition_models that locates its file
_DLIB_MODEL_LOCATORS = {
    'shape_predictor_5': 'pose_predictor_five_point_model_location',
    'shape_predictor_68': 'pose_predictor_model_location',
    'face_recognition_resnet': 'face_recognition_model_location',
}


def dlib_model_path(name):
    """Local path of a dlib model file shipped by ``face_recognition_models``
    (nothing is downloaded)."""
    if name not in _DLIB_MODEL_LOCATORS:
        raise KeyError(f'unknown dlib model {name!r}; '
                       f'known: {sorted(_DLIB_MODEL_LOCATORS)}')
    import warnings
    with warnings.catch_warnings():
        # the package imports the deprecated pkg_resources
        warnings.simplefilter('ignore')
        models = import_optional('face_recognition_models',
                                 f'the dlib model {name}')
    return getattr(models, _DLIB_MODEL_LOCATORS[name])()
