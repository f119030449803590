"""tools/slurm_train.sh and tools/slurm_test.sh under a stand-in for Slurm's
srun (written by the test): it starts --ntasks copies of the command with
Slurm's rank variables, as srun does on one node."""
import os

import pytest

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

SRUN = r'''#!/usr/bin/env bash
# stand-in for srun: --ntasks copies of the command, with SLURM_* ranks
echo "srun $*" >> "$SRUN_LOG"
ntasks=1
while [[ $# -gt 0 && $1 == -* ]]; do
    case $1 in
        --ntasks=*) ntasks=${1#--ntasks=} ;;
        -p) shift ;;
    esac
    shift
done
pids=()
for ((i = 0; i < ntasks; i++)); do
    SLURM_PROCID=$i SLURM_NTASKS=$ntasks SLURM_LOCALID=$i \
        SLURM_NODELIST=localhost "$@" &
    pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
exit $rc
'''


@pytest.fixture
def slurm_env(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(SRUN)
    srun.chmod(0o755)
    return dict(PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
                SRUN_LOG=str(tmp_path / 'srun.log'), GPUS='2',
                GPUS_PER_NODE='2', MASTER_ADDR='127.0.0.1',
                MASTER_PORT=str(32000 + os.getpid() % 1000))


def test_slurm_train_then_slurm_test(demo_root, tmp_path, cli, slurm_env):
    work = tmp_path / 'work'
    out = cli.run(['bash', 'tools/slurm_train.sh', 'debug', "qc",
                   'configs/baseline_demo.py', str(work),
                   *cli.cfg_options(demo_root,
                                    **{'train_cfg.max_epochs': 1})],
                  **slurm_env)
    assert 'GPU number: 2' in out
    checkpoint = work / 'epoch_1.pth'
    assert checkpoint.is_file()

    test_args = [str(checkpoint), '--work-dir', str(tmp_path / 'test'),
                 *cli.cfg_options(demo_root)]
    out = cli.run(['bash', 'tools/slurm_test.sh', 'debug', 'base_test',
                   'configs/baseline_demo.py', *test_args], **slurm_env)
    two_tasks = cli.last_json(out)
    one = cli.last_json(cli.run([cli.python, 'tools/test.py',
                                 'configs/baseline_demo.py', *test_args]))
    assert two_tasks == one  # every test frame counted once over 2 ranks
    log = (tmp_path / 'srun.log').read_text()
    assert '-p debug --job-name=base_test --gres=gpu:2 --ntasks=2' in log
    assert log.count('--launcher=slurm') == 2
