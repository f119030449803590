"""Names that data preparation, training, evaluation and the benchmarks
share, in one place."""

__all__ = ['SPLITS', 'FFPP_METHODS', 'FFPP_STANDARD_METHODS',
           'DEEPFAKEBENCH_FFPP_LABELS']

SPLITS = ('train', 'val', 'test')

# FF++ manipulation methods, as its folders name them. FaceShifter came
# later and is outside the usual four-method protocol (FFPP_STANDARD_METHODS)
# that FF++ c23 training and the UCF detector's specific classes use.
FFPP_METHODS = ('Deepfakes', 'Face2Face', 'FaceSwap', 'NeuralTextures',
                'FaceShifter')
FFPP_STANDARD_METHODS = FFPP_METHODS[:4]

# DeepfakeBench's FF++ label names -> FF++ method folder names
DEEPFAKEBENCH_FFPP_LABELS = {
    'FF-real': 'real', 'FF-DF': 'Deepfakes', 'FF-F2F': 'Face2Face',
    'FF-FS': 'FaceSwap', 'FF-NT': 'NeuralTextures', 'FF-FH': 'FaceShifter',
}
