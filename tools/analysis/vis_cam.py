"""Grad-CAM of a detector over the face crop it sees: where the evidence for
"fake" (or "real") lies (mmpretrain's ``tools/visualization/vis_cam.py``,
for qcdet's detectors and inputs).

    python tools/analysis/vis_cam.py configs/qc_demo.py epoch_12.pth \
        face.png clips/ video.mp4 --out-dir work_dirs/cam [--frame 40]

Each image, and each chosen frame of a video (``--frame N``, else
``--num-frames`` evenly spaced), goes through the face cropper of
``tools/infer.py`` (``DeepfakeInferencer``) and the config's test pipeline,
so the CAM is of the crop the detector scores. ``--no-face-crop`` takes
images as crops already (a dataset's frames). Writes
``<out-dir>/<name>[_frame<N>]_cam.png``: a panel of the crop, the CAM as a
heat map and the two blended, each ``--panel-size`` px, under a strip with
the fake score and the target class (``qcdet.visualization.cam.cam_panel``;
and the CAM as ``.npy`` with ``--save-map``).

The default target layer is the map the detector pools for its head (the
backbone's last map; SRM's fusion, UCF's common-feature projection); for
a ViT (the CLIP detectors, Effort) the patch tokens the CLS token attends
to last (``backbone.model.blocks.<last>.norm1``), laid out on the patch
grid. Layers giving no [B, C, H, W] map or patch tokens (a pooled vector,
the CLS token) are refused with a message naming the detector and the
layer.
Torch, OpenCV and the model load after the arguments, so ``--help``
answers at once.
"""
import sys
from pathlib import Path

from qcdet.utils.cli import FACE_DETECTOR_CHOICES, model_tool_parser

# the classes Grad-CAM can explain (qcdet.visualization.cam.CAM_TARGETS,
# checked equal by tests/test_tools/test_vis_cam.py)
TARGETS = ('fake', 'real')


def parse_args():
    parser = model_tool_parser(
        'Show where a detector finds its evidence: Grad-CAM of '
        'each face crop, as a panel of crop, heat map and overlay with the '
        'fake score.')
    parser.add_argument('inputs', nargs='+', metavar='INPUT',
                        help='image, video or folder of them')
    parser.add_argument('--out-dir', default='work_dirs/vis_cam',
                        help='where the overlays go')
    parser.add_argument('--target-layers', nargs='+', default=[],
                        help='layer names, e.g. backbone or '
                        'backbone.model.blocks.4 (a ViT: '
                        'backbone.model.blocks.N.norm1; default: the map '
                        'the detector pools for its head)')
    parser.add_argument('--target', choices=TARGETS,
                        default='fake', help='class the CAM explains')
    parser.add_argument('--frame', type=int, default=None,
                        help='video frame index (default: --num-frames '
                        'evenly spaced frames)')
    parser.add_argument('--num-frames', type=int, default=4,
                        help='frames per video without --frame')
    parser.add_argument('--no-face-crop', action='store_true',
                        help='the images are aligned face crops already')
    parser.add_argument('--detector', default=None,
                        choices=FACE_DETECTOR_CHOICES,
                        help='face detector (default: as tools/infer.py)')
    parser.add_argument('--save-map', action='store_true',
                        help='also write the CAM as .npy')
    parser.add_argument('--panel-size', type=int, default=256,
                        help='side in pixels of each of the three pictures '
                        '(crop, heat map, overlay; default: %(default)s)')
    parser.add_argument('--device', default='cpu',
                        help='cpu, cuda, cuda:1, ... (default: cpu)')
    args = parser.parse_args()
    if args.panel_size < 64:
        parser.error('--panel-size must be at least 64')
    return args


def input_items(inputs):
    """``(path, output name)`` per input file; files in a folder are named
    by their path in it (``a/b/000.png`` -> ``a_b_000``), so that equal
    file names in different subfolders do not overwrite each other."""
    from qcdet.apis import list_media
    items = []
    for item in map(Path, inputs):
        if item.is_dir():
            items += [(p, '_'.join(p.relative_to(item).with_suffix('').parts))
                      for p in list_media([item])]
        else:
            items.append((item, item.stem))
    return items


def read_frame(path: Path, index: int):
    """Frame ``index`` of a video, decoded in order (exact, unlike
    seeking); None past the end."""
    import cv2
    capture = cv2.VideoCapture(str(path))
    try:
        for _ in range(index):
            if not capture.grab():
                return None
        ok, frame = capture.read()
        return frame if ok else None
    finally:
        capture.release()


def frames_of(path: Path, inferencer, frame):
    """``(frame index or None for an image, BGR frame)`` of the frames to
    explain."""
    import cv2

    from qcdet.apis import media_kind
    if media_kind(path) != 'video':
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f'cannot read image {path}')
        return [(None, image)]
    if frame is not None:
        image = read_frame(path, frame)
        if image is None:
            raise ValueError(f'{path} has no frame {frame}')
        return [(frame, image)]
    return list(inferencer.read_video(path))


def main():
    args = parse_args()
    import cv2
    import numpy as np
    import torch

    from qcdet.apis import DeepfakeInferencer
    from qcdet.visualization.cam import CAM_TARGETS, GradCAM, cam_panel
    options = dict(device=args.device, num_frames=args.num_frames)
    if args.detector:
        options['detector'] = args.detector
    inferencer = DeepfakeInferencer(args.config, args.checkpoint, **options)
    try:
        cam = GradCAM(inferencer.model, args.target_layers)
    except ValueError as error:
        sys.exit(str(error))
    items = input_items(args.inputs)
    if not items:
        sys.exit(f'no images or videos found in {args.inputs}')
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = CAM_TARGETS[args.target]
    for path, name in items:
        for index, frame in frames_of(path, inferencer, args.frame):
            where, suffix = path, ''
            if index is not None:
                where, suffix = f'{path} frame {index}', f'_frame{index}'
            if args.no_face_crop:
                crop = cv2.resize(frame, (inferencer.crop_size,) * 2)
            else:
                face = inferencer.cropper.crop(frame)
                if face is None:
                    print(f'{where}: no face found, skipped')
                    continue
                crop = face.image
            inputs = inferencer.model_input(crop)
            try:
                heat = cam(inputs, target)
            except ValueError as error:
                sys.exit(str(error))
            heat = cv2.resize(heat, (crop.shape[1], crop.shape[0]),
                              interpolation=cv2.INTER_LINEAR)
            with torch.no_grad():
                prob = inferencer.model(inputs, mode='tensor').softmax(1)
            fake = float(prob[0, 1])
            stem = out_dir / f'{name}{suffix}_cam'
            panel = cam_panel(crop, heat, fake, args.target,
                              args.panel_size)
            # smallest lossless PNG: a panel is ~0.1 MB, not ~0.2
            cv2.imwrite(f'{stem}.png', panel,
                        [cv2.IMWRITE_PNG_COMPRESSION, 9])
            if args.save_map:
                np.save(f'{stem}.npy', heat.astype(np.float32))
            print(f'{where}: fake probability '
                  f'{fake:.4f}, CAM of "{args.target}" on '
                  f'{"+".join(cam.target_layers)} -> {stem}.png')


if __name__ == '__main__':
    main()
