"""Process pools that cannot deadlock on a forked library lock."""
import multiprocessing

__all__ = ['worker_context']


def worker_context(preload_module: str):
    """A fork server (or spawn) context, never plain fork: forking a process
    whose library threads (OpenCV, onnxruntime, torch) hold a lock can hang
    the child forever. The fork server imports ``preload_module`` once and
    forks clean workers from it."""
    if 'forkserver' not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context('spawn')
    context = multiprocessing.get_context('forkserver')
    context.set_forkserver_preload([preload_module])
    return context
