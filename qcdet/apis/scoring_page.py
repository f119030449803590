"""The web page and JSON endpoint of ``tools/serve.py``.

Uploads are scored by :class:`~qcdet.apis.DeepfakeInferencer` exactly as
``tools/infer.py`` scores a file (same call, same record), so a score on
the page equals infer.py's for the same file, checkpoint and flags. The
page adds what a person wants to look at: a per-frame score strip, the
face crops the model scored and the Grad-CAM of the highest-scoring crop.

Safety: only uploaded bytes are read (never a path a client names), each
upload lives in a temporary folder of its own that is removed when it has
been scored, and uploads are capped in size and videos in length.

Gradio, FastAPI and selenium are imported inside the functions that need
them, so ``import qcdet.apis`` does not import them.
"""
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

import cv2
import numpy as np

from qcdet.utils.optional_imports import import_optional

from .annotate import FAKE_COLOR, REAL_COLOR
from .inferencer import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, media_kind

__all__ = ['UploadRejected', 'ScoredUpload', 'MediaScorer', 'score_text',
           'safe_name', 'score_strip', 'stack_strips', 'video_seconds',
           'build_page', 'build_app', 'score_in_browser']

CHUNK = 1 << 20
CAM_SIZE = 256
# true once the page's crops have arrived and every picture has loaded
IMAGES_SHOWN = '''
const images = [...document.querySelectorAll(
    '#strips img, #crops img, #cams img')];
return document.querySelector('#crops img') !== null &&
    images.every(img => img.complete && img.naturalWidth > 0);
'''
NO_FACE_GREY = (190, 190, 190)


class UploadRejected(Exception):
    """An upload that cannot be scored: ``status`` is the HTTP code the
    endpoint answers with, ``message`` what the page shows."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ScoredUpload:
    """What the page shows of one upload: the infer.py record (``path`` is
    the upload's name), the crops scored as ``(RGB crop, caption)``, the
    score strip and the Grad-CAM overlay (RGB; None with ``cam_note``
    saying why)."""
    record: dict
    crops: List[Tuple[np.ndarray, str]] = field(default_factory=list)
    strip: Optional[np.ndarray] = None
    cam: Optional[np.ndarray] = None
    cam_caption: str = ''
    cam_note: Optional[str] = None


def score_text(score: Optional[float]) -> str:
    """A score as tools/infer.py prints it (4 decimals)."""
    return 'null' if score is None else f'{score:.4f}'


def safe_name(name: str) -> str:
    """The client's file name reduced to a plain base name (no folders,
    no odd characters): the only part of it the server uses."""
    base = Path(str(name).replace('\\', '/')).name
    base = re.sub(r'[^A-Za-z0-9._-]', '_', base).lstrip('.')[-100:]
    return base or 'upload'


def video_seconds(path: Union[str, Path]) -> Optional[float]:
    """A video's length from its container (None when it gives none);
    raises :class:`UploadRejected` when the file is no video."""
    import av
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError):
        raise UploadRejected(
            415, f'{Path(path).name} is not a readable video') from None
    with container:
        if not container.streams.video:
            raise UploadRejected(
                415, f'{Path(path).name} has no video stream')
        stream = container.streams.video[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        if container.duration:
            return container.duration / 1e6  # AV_TIME_BASE
        if stream.frames and stream.average_rate:
            return float(stream.frames / stream.average_rate)
    return None


def score_strip(frame_scores: List[dict], threshold: float,
                width: int = 640, height: int = 180) -> np.ndarray:
    """One bar per sampled frame, its height the fake probability (red
    above the threshold, green below, a grey stub where no face was
    found), the threshold as a dashed line, scores and frame indices
    written where the bars are wide enough; RGB."""
    count = max(1, len(frame_scores))
    bar = max(4, width // count)
    top, bottom = 18, height - 18  # room for the labels
    image = np.full((height, bar * count, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX

    def write(text, x, y):
        cv2.putText(image, text, (x, y), font, 0.4, (40, 40, 40), 1,
                    cv2.LINE_AA)

    for i, frame in enumerate(frame_scores):
        x1, x2 = i * bar + 1, (i + 1) * bar - 2
        if bar >= 40:
            write(str(frame['frame_idx']), x1 + 2, height - 4)
        if frame['score'] is None:
            cv2.rectangle(image, (x1, bottom - 3), (x2, bottom),
                          NO_FACE_GREY, -1)
            continue
        y = int(round(bottom - frame['score'] * (bottom - top)))
        colour = FAKE_COLOR if frame['score'] > threshold else REAL_COLOR
        cv2.rectangle(image, (x1, y), (x2, bottom), colour, -1)
        if bar >= 40:
            write(f'{frame["score"]:.2f}', x1 + 2, y - 4)
    line = int(round(bottom - threshold * (bottom - top)))
    for x in range(0, image.shape[1], 10):
        cv2.line(image, (x, line), (min(x + 5, image.shape[1] - 1), line),
                 (60, 60, 60), 1)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def stack_strips(strips: List[Tuple[np.ndarray, str]]) -> np.ndarray:
    """The files' score strips one under the other, each under its
    title; RGB."""
    width = max(strip.shape[1] for strip, _ in strips)
    rows = []
    for strip, title in strips:
        head = np.full((40, width, 3), 255, np.uint8)  # under the label
        cv2.putText(head, title, (4, 34), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (40, 40, 40), 1, cv2.LINE_AA)
        pad = np.full((strip.shape[0], width - strip.shape[1], 3), 255,
                      np.uint8)
        rows += [head, np.concatenate([strip, pad], axis=1)]
    return np.concatenate(rows, axis=0)


class MediaScorer:
    """Scores uploaded bytes with a :class:`DeepfakeInferencer`, one
    upload at a time (the model and Grad-CAM's hooks are shared).

    Args:
        inferencer: the :class:`DeepfakeInferencer` (tools/infer.py's).
        upload_dir: where each upload gets a temporary folder of its own.
        max_upload_bytes: larger uploads are refused (413).
        max_video_seconds: longer videos are refused (413).
        cam_target: class Grad-CAM explains (``'fake'`` or ``'real'``).
    """

    def __init__(self, inferencer, upload_dir: Union[str, Path],
                 max_upload_bytes: int, max_video_seconds: float,
                 cam_target: str = 'fake'):
        from qcdet.visualization.cam import CAM_TARGETS, GradCAM
        if cam_target not in CAM_TARGETS:
            raise ValueError(f'cam_target must be one of {sorted(CAM_TARGETS)}'
                             f', got {cam_target!r}')
        self.inferencer = inferencer
        self.upload_dir = Path(upload_dir)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.max_upload_bytes = int(max_upload_bytes)
        self.max_video_seconds = float(max_video_seconds)
        self.cam_target = cam_target
        self.cam, self.cam_note = None, None
        try:
            self.cam = GradCAM(inferencer.model)
        except ValueError as error:
            self.cam_note = str(error)
        self.lock = threading.Lock()

    def score_upload(self, name: str,
                     chunks: Iterable[bytes]) -> ScoredUpload:
        """Write the uploaded ``chunks`` into a fresh temporary folder,
        score them, remove the folder; raises :class:`UploadRejected`."""
        name = safe_name(name)
        if media_kind(name) is None:
            raise UploadRejected(
                415, f'{name}: upload an image ({", ".join(IMAGE_EXTENSIONS)})'
                f' or a video ({", ".join(VIDEO_EXTENSIONS)})')
        folder = Path(tempfile.mkdtemp(prefix='upload-', dir=self.upload_dir))
        try:
            path = folder / name
            self._write_capped(path, chunks)
            with self.lock:
                return self._score(path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _write_capped(self, path: Path, chunks: Iterable[bytes]) -> None:
        size = 0
        with open(path, 'wb') as f:
            for chunk in chunks:
                size += len(chunk)
                if size > self.max_upload_bytes:
                    raise UploadRejected(
                        413, f'{path.name} is larger than the '
                        f'{self.max_upload_bytes / 2**20:g} MB limit '
                        '(--max-upload-mb)')
                f.write(chunk)
        if size == 0:
            raise UploadRejected(400, f'{path.name} is empty')

    def _score(self, path: Path) -> ScoredUpload:
        if media_kind(path) == 'video':
            seconds = video_seconds(path)
            if seconds is not None and seconds > self.max_video_seconds:
                raise UploadRejected(
                    413, f'{path.name} is {seconds:.1f} s long; the limit '
                    f'is {self.max_video_seconds:g} s (--max-video-seconds)')
        crops = []

        def keep_crop(frame_idx, frame, score, box):
            # the inferencer's own cropper, on the frame it just scored:
            # the crop the model saw
            if score is not None:
                face = self.inferencer.cropper.crop(frame)
                if face is not None:
                    crops.append((frame_idx, score, face.image))

        record = self.inferencer(path, on_frame=keep_crop, progress=False)
        record['path'] = path.name
        if record['reason']:
            record['reason'] = record['reason'].replace(str(path), path.name)
        if record['score'] is None:
            status = 422 if record['frames_used'] else 415
            raise UploadRejected(status, f'{path.name}: {record["reason"]}')
        kind = record['type']
        scored = ScoredUpload(
            record=record,
            crops=[(cv2.cvtColor(c, cv2.COLOR_BGR2RGB),
                    f'{path.name} {self._where(kind, i)}: {score_text(s)}')
                   for i, s, c in crops],
            strip=score_strip(record['frame_scores'], record['threshold']))
        if crops:
            self._add_cam(scored, max(crops, key=lambda c: c[1]), kind)
        return scored

    @staticmethod
    def _where(kind: str, frame_idx: int) -> str:
        return f'frame {frame_idx}' if kind == 'video' else 'face'

    def _add_cam(self, scored: ScoredUpload, best, kind: str) -> None:
        """Grad-CAM panel (crop | heat map | overlay) of the highest-scoring
        crop, as vis_cam.py draws it."""
        from qcdet.visualization.cam import CAM_TARGETS, cam_panel
        frame_idx, score, crop = best
        if self.cam is None:
            scored.cam_note = self.cam_note
            return
        try:
            heat = self.cam(self.inferencer.model_input(crop),
                            CAM_TARGETS[self.cam_target])
        except ValueError as error:
            scored.cam_note = str(error)
            return
        panel = cam_panel(crop, heat, score, self.cam_target, size=CAM_SIZE)
        scored.cam = cv2.cvtColor(panel, cv2.COLOR_BGR2RGB)
        scored.cam_caption = f'{scored.record["path"]} ' \
            f'{self._where(kind, frame_idx)}: {score_text(score)}'


def _file_chunks(path: Path) -> Iterable[bytes]:
    with open(path, 'rb') as f:
        yield from iter(lambda: f.read(CHUNK), b'')


def _summary_line(name: str, scored: Optional[ScoredUpload],
                  error: Optional[str]) -> str:
    if error is not None:
        return f'- **{name}**: not scored: {error}'
    record = scored.record
    line = (f'- **{name}**: fake probability {score_text(record["score"])} '
            f'({record["label"]}), a face in {record["faces_found"]} of '
            f'{record["frames_used"]} frame(s)')
    if scored.cam_note:
        line += f'; no Grad-CAM: {scored.cam_note}'
    return line


def build_page(scorer: MediaScorer, title: str = 'qcdet: is it fake?'):
    """The Gradio page: drop images or videos, see per file the fake
    probability, the per-frame score strip, the face crops scored and the
    Grad-CAM of the highest-scoring crop."""
    gr = import_optional('gradio', 'the scoring page')
    from gradio.utils import get_upload_folder
    gradio_uploads = Path(get_upload_folder()).resolve()

    def score_files(paths):
        lines, strips, crops, cams, records = [], [], [], [], []
        for path in paths or []:
            path = Path(path)
            name = safe_name(path.name)
            scored, error = None, None
            try:
                # Gradio hands over its own copy of the upload; anything
                # else is a path some client named and is not read
                if gradio_uploads not in path.resolve().parents:
                    raise UploadRejected(400, 'not an uploaded file')
                scored = scorer.score_upload(name, _file_chunks(path))
            except UploadRejected as rejected:
                error = rejected.message
            finally:
                _remove_gradio_copy(path, gradio_uploads)
            lines.append(_summary_line(name, scored, error))
            if scored is None:
                continue
            records.append(scored.record)
            strips.append((scored.strip, f'{name}: fake probability per '
                           'sampled frame (dashed: threshold)'))
            crops += scored.crops
            if scored.cam is not None:
                cams.append((scored.cam, scored.cam_caption))
        summary = '\n'.join(lines) or 'Drop images or videos above.'
        strip = stack_strips(strips) if strips else None
        return summary, strip, crops, cams, records

    with gr.Blocks(title=title, analytics_enabled=False,
                   delete_cache=(600, 600)) as page:
        gr.Markdown(f'# {title}\nDrop images or videos: each gets the '
                    'fake probability of its faces. The same as JSON: '
                    '`POST /api/score` with the file as multipart field '
                    '`file`.')
        files = gr.File(label='Images or videos', file_count='multiple',
                        file_types=list(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS),
                        elem_id='media')
        summary = gr.Markdown('Drop images or videos above.',
                              elem_id='scores')
        with gr.Row():
            strips = gr.Image(label='Per-frame fake probability', scale=2,
                              interactive=False, elem_id='strips')
            cams = gr.Gallery(label='Grad-CAM of the highest-scoring crop',
                              columns=1, height='auto', fit_columns=False,
                              object_fit='contain', elem_id='cams')
        crops = gr.Gallery(label='Face crops the model scored', columns=6,
                           height='auto', fit_columns=False,
                           object_fit='contain', elem_id='crops')
        with gr.Accordion('Records (as tools/infer.py writes them)',
                          open=False):
            records = gr.JSON(show_label=False)
        files.upload(score_files, files,
                     [summary, strips, crops, cams, records])
    return page


def _remove_gradio_copy(path: Path, gradio_uploads: Path) -> None:
    """Delete Gradio's cached copy of an upload once it has been read."""
    try:
        resolved = path.resolve()
        if gradio_uploads in resolved.parents:
            resolved.unlink(missing_ok=True)
            if resolved.parent != gradio_uploads and \
                    not any(resolved.parent.iterdir()):
                resolved.parent.rmdir()
    except OSError:
        pass


def build_app(scorer: MediaScorer):
    """FastAPI app: ``POST /api/score`` (one multipart field ``file``,
    returns its record as JSON, or ``{"error": ...}`` with a 4xx code) and
    the Gradio page at ``/``."""
    gr = import_optional('gradio', 'the scoring page')
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    app = FastAPI(title='qcdet scoring', docs_url=None, redoc_url=None)
    slack = 64 * 1024  # multipart headers around the file

    def error(status, message):
        return JSONResponse(dict(error=message), status_code=status)

    @app.post('/api/score')
    async def score(request: Request):
        if not request.headers.get('content-type', '').startswith(
                'multipart/form-data'):
            return error(400, 'send the file as multipart/form-data field '
                         '"file" (curl -F file=@clip.mp4); this server '
                         'reads only uploaded bytes, never a path')
        length = request.headers.get('content-length', '')
        if length.isdigit() and \
                int(length) > scorer.max_upload_bytes + slack:
            return error(413, f'the upload is larger than the '
                         f'{scorer.max_upload_bytes / 2**20:g} MB limit '
                         '(--max-upload-mb)')
        form = await request.form(max_files=1, max_fields=8)
        try:
            others = sorted(set(form.keys()) - {'file'})
            if others:
                return error(400, f'only the uploaded field "file" is read; '
                             f'refusing fields {others}: this server never '
                             'opens a path a client names')
            upload = form.get('file')
            if not isinstance(upload, UploadFile):
                return error(400, 'field "file" must be an uploaded file '
                             '(curl -F file=@clip.mp4), not text')
            chunks = iter(lambda: upload.file.read(CHUNK), b'')
            scored = await run_in_threadpool(
                scorer.score_upload, upload.filename or 'upload', chunks)
        except UploadRejected as rejected:
            return error(rejected.status, rejected.message)
        finally:
            await form.close()
        return scored.record

    max_mb = scorer.max_upload_bytes / 2**20
    return gr.mount_gradio_app(app, build_page(scorer), path='/',
                               max_file_size=f'{max_mb:g}mb',
                               footer_links=[], ssr_mode=False)


def score_in_browser(url: str, media: Union[str, Path],
                     screenshot: Union[str, Path],
                     timeout: float = 300,
                     size: Tuple[int, int] = (1280, 1800)) -> str:
    """Open the page in headless Chromium, upload ``media`` through its
    file input, wait for the score, save a screenshot; returns the
    summary text the page shows (``... fake probability 0.1234 ...``)."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    for argument in ('--headless=new', '--no-sandbox',
                     '--disable-dev-shm-usage', '--disable-gpu',
                     f'--window-size={size[0]},{size[1]}'):
        options.add_argument(argument)
    binary = shutil.which('chromium') or shutil.which('chromium-browser')
    if binary:
        options.binary_location = binary
    service = webdriver.ChromeService(
        executable_path=shutil.which('chromedriver'))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.get(url)
        wait = WebDriverWait(driver, timeout)
        upload = wait.until(lambda d: d.find_element(
            By.CSS_SELECTOR, '#media input[type=file]'))
        upload.send_keys(str(Path(media).resolve()))
        name = safe_name(Path(media).name)

        def summary(d):
            text = d.find_element(By.ID, 'scores').text
            return text if name in text else False

        text = wait.until(summary)
        if 'not scored' not in text:  # the images come in the same update
            wait.until(lambda d: d.execute_script(IMAGES_SHOWN))
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
        return text
    finally:
        driver.quit()
