"""A local web page that scores uploaded images and videos.

``python tools/serve.py CONFIG CHECKPOINT [--host 127.0.0.1] [--port 7860]
[--num-frames 32] [--detector cascade|dlib|retinaface] [--aggregation
mean|max] [--threshold 0.5] [--device cpu] [--max-upload-mb 200]
[--max-video-seconds 60]``

The page (Gradio, at ``/``) shows per upload the fake probability, the
per-frame scores, the face crops scored and the Grad-CAM of the
highest-scoring crop; ``POST /api/score`` (multipart field ``file``) gives
the record tools/infer.py writes, as JSON. Scores come from the same
``DeepfakeInferencer`` call as infer.py's. Only uploaded bytes are read;
each upload is deleted once scored (docs/testing_and_inference.md).
"""
import shutil
import tempfile
from pathlib import Path

from qcdet.utils.cli import (
    add_inference_arguments,
    check_checkpoint,
    check_config,
    fail,
    fail_unless_installed,
    inferencer_options,
    model_tool_parser,
)


def build_parser():
    """The parser (tools/misc/serve_screenshot.py adds its own options to
    it)."""
    parser = model_tool_parser(
        'Serve a local web page and a JSON endpoint that score '
        'uploaded images and videos with a deepfake detector.')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (default: %(default)s, '
                        'this machine only; 0.0.0.0 opens it to the network)')
    parser.add_argument('--port', type=int, default=7860,
                        help='port to listen on (default: %(default)s)')
    add_inference_arguments(parser)
    parser.add_argument('--max-upload-mb', type=float, default=200,
                        help='larger uploads are refused (default: '
                        '%(default)s)')
    parser.add_argument('--max-video-seconds', type=float, default=60,
                        help='longer videos are refused (default: '
                        '%(default)s)')
    parser.add_argument('--upload-dir', default=None,
                        help='where each upload is kept, in a folder of its '
                        'own, while it is scored (default: a fresh '
                        'temporary folder, removed on exit)')
    return parser


def check_args(args) -> None:
    """Refuse bad paths and limits before anything heavy loads."""
    check_config(args.config)
    check_checkpoint(args.checkpoint)
    for flag, value in (('--num-frames', args.num_frames),
                        ('--max-upload-mb', args.max_upload_mb),
                        ('--max-video-seconds', args.max_video_seconds)):
        if value <= 0:
            fail(f'{flag} must be > 0, got {value:g}')
    fail_unless_installed(('gradio', 'fastapi', 'uvicorn'), 'tools/serve.py')


def build_app(args, upload_dir: Path):
    """The FastAPI app (endpoint + page) for the parsed ``args``: the
    model loads here."""
    from qcdet.apis import DeepfakeInferencer
    from qcdet.apis.scoring_page import MediaScorer, build_app
    inferencer = DeepfakeInferencer(args.config, args.checkpoint,
                                    **inferencer_options(args))
    scorer = MediaScorer(inferencer, upload_dir,
                         max_upload_bytes=int(args.max_upload_mb * 2**20),
                         max_video_seconds=args.max_video_seconds)
    return build_app(scorer)


def upload_folder(args):
    """``(folder, remove on exit)`` for the uploads."""
    if args.upload_dir:
        return Path(args.upload_dir), False
    return Path(tempfile.mkdtemp(prefix='qcdet-serve-')), True


def main():
    args = build_parser().parse_args()
    check_args(args)
    import uvicorn
    folder, temporary = upload_folder(args)
    try:
        app = build_app(args, folder)
        print(f'serving on http://{args.host}:{args.port} (JSON: POST '
              f'http://{args.host}:{args.port}/api/score, field "file")',
              flush=True)
        uvicorn.run(app, host=args.host, port=args.port, log_level='warning')
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
