"""Export a detector to ONNX, with its data preprocessor inside, and check
the ONNX model against PyTorch with onnxruntime.

    python tools/deploy/export_onnx.py CONFIG CHECKPOINT --out model.onnx \
        [--shape H W] [--opset 17] [--atol 1e-4]

The ONNX model takes what ``LoadFrame`` gives: ``images``, float32 N x 3 x H
x W, **BGR, 0-255, not normalised** (cast uint8 frames to float32). It does
the channel swap and mean/std normalisation of the config's
``data_preprocessor`` itself and returns ``probs``, N x 2 softmax
probabilities (real, fake), as ``pred_score`` in ``tools/test.py``. The
batch axis is dynamic; H and W are fixed to ``--shape``, by default the
size of the config's test pipeline (its ``Resize``, as ``tools/infer.py``
crops faces). A model made for one input size (a ViT's position embedding,
F3Net's DCT) is refused at any other with a one-line message.
"""

from qcdet.utils.cli import (
    add_cfg_options_argument,
    apply_cfg_options,
    check_checkpoint,
    check_config,
    fail,
    fail_unless_installed,
    height_width,
    model_tool_parser,
)


def parse_args():
    parser = model_tool_parser(
        'Export a detector to ONNX and check it against '
        'PyTorch with onnxruntime.',
        config_help='config file')
    parser.add_argument('--out', default='model.onnx', help='ONNX file')
    parser.add_argument('--shape', type=int, nargs='+', default=None,
                        help='input height and width (one value: square; '
                        "default: the test pipeline's Resize, else 256)")
    parser.add_argument('--opset', type=int, default=17,
                        help='ONNX opset version')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest accepted |p_fake(onnx) - p_fake(torch)|')
    parser.add_argument('--check-batch', type=int, default=3,
                        help='batch size of the equivalence check (differs '
                        'from the export batch of 1 to test the dynamic axis)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random check batch')
    add_cfg_options_argument(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    check_config(args.config)
    check_checkpoint(args.checkpoint)
    fail_unless_installed(['onnx'], 'tools/deploy/export_onnx.py')
    from mmengine.config import Config

    from qcdet.apis import crop_size_from_cfg
    from qcdet.apis.onnx_export import build_model, check, export
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    if args.shape:
        height, width = height_width(args.shape)
    else:
        height = width = crop_size_from_cfg(cfg)
    model = build_model(cfg, args.checkpoint)
    import torch
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, height, width), mode='tensor')
    except (AssertionError, RuntimeError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error) else ''
        fail(f'{type(model).__name__} of {args.config} does not run at '
             f'{height}x{width} ({type(error).__name__}: {first}); export at '
             "the config's input size (leave out --shape)")
    export(model, args.out, height, width, args.opset)
    print(f'exported {args.out}: input images float32 [batch, 3, {height}, '
          f'{width}] BGR 0-255, output probs [batch, 2] (real, fake), '
          f'opset {args.opset}')
    diff = check(model, args.out, height, width, args.check_batch, args.seed)
    print(f'max abs diff of fake probability (onnxruntime vs PyTorch, batch '
          f'{args.check_batch}): {diff:.3g} (tolerance {args.atol:g})')
    if not diff <= args.atol:
        fail(f'ONNX output differs from PyTorch by {diff:.3g} > '
             f'{args.atol:g}')
    print('equivalence check passed')


if __name__ == '__main__':
    main()
