"""Helpers of the robustness tests: run the command-line tools the way a
user does (subprocesses, the repository's launch scripts)."""
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TEST_FRAMES = 29  # odd: two test processes need a padding frame
ITERS_PER_EPOCH = 6  # 90 train frames, batch 16
MAX_EPOCHS = 3


def run(args, expect_rc=0, timeout=300, **env_vars):
    """Runs a tool from the repository root; returns its output."""
    env = dict(os.environ, OMP_NUM_THREADS='1', **env_vars)
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), str(HERE)])
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == expect_rc, \
        f'exit code {proc.returncode}, expected {expect_rc}\n' + out[-6000:]
    return out


def train(config, work_dir, *args, nproc=1, expect_rc=0, **env_vars):
    if nproc == 1:
        cmd = [sys.executable, 'tools/train.py', str(config)]
    else:
        cmd = ['bash', 'tools/dist_train.sh', str(config), str(nproc)]
        env_vars.setdefault('PORT', str(29000 + os.getpid() % 1000))
    return run(cmd + ['--work-dir', str(work_dir), *args],
               expect_rc=expect_rc, **env_vars)


def train_on_two_nodes(config, work_dir, *args, timeout=300):
    """Two "nodes" of one process each on 127.0.0.1, started the way a user
    starts them on two machines (tools/dist_train.sh with NNODES,
    NODE_RANK, MASTER_ADDR and PORT), writing to one shared work dir."""
    env = dict(os.environ, OMP_NUM_THREADS='1', NNODES='2',
               MASTER_ADDR='127.0.0.1', PORT=str(31000 + os.getpid() % 1000))
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), str(HERE)])
    nodes = [subprocess.Popen(
        ['bash', 'tools/dist_train.sh', str(config), '1', '--work-dir',
         str(work_dir), *args], cwd=REPO, env=dict(env, NODE_RANK=str(rank)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for rank in (0, 1)]
    outs = []
    try:
        for node in nodes:
            outs.append(node.communicate(timeout=timeout)[0])
    finally:
        for node in nodes:
            node.kill()
    for rank, (node, out) in enumerate(zip(nodes, outs)):
        assert node.returncode == 0, \
            f'node {rank} exit code {node.returncode}\n' + out[-6000:]
    return outs


def evaluate(config, checkpoint, work_dir, *args, nproc=1):
    """Tests a checkpoint; returns (metrics printed by rank 0, per-frame
    predictions dumped after the cross-process collection)."""
    out_file = Path(work_dir) / 'predictions.pkl'
    if nproc == 1:
        cmd = [sys.executable, 'tools/test.py', str(config), str(checkpoint)]
        env = {}
    else:
        cmd = ['bash', 'tools/dist_test.sh', str(config), str(checkpoint),
               str(nproc)]
        env = dict(PORT=str(30000 + os.getpid() % 1000))
    out = run(cmd + ['--work-dir', str(work_dir), '--out', str(out_file),
                     *args], **env)
    start = out.rindex('{\n')
    metrics = json.loads(out[start:out.index('}', start) + 1])
    with open(out_file, 'rb') as f:
        predictions = pickle.load(f)
    return metrics, predictions
