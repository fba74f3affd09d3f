"""--verify leaves the user's tree and .git byte-identical, whatever the script writes, renames,
removes or commits (issue 21): the runs see the user's files as copies or read-only."""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess

import pytest

from reprolint.verify.isolation import Isolation, protected_roots
from tests.verify.conftest import verify_paths

# Shaped like a real sampling script, plus everything a careless script does to its folder.
HOSTILE = '''\
import os
import subprocess

import torch
from diffusers import DDIMPipeline, DDIMScheduler, UNet2DModel

unet = UNet2DModel(sample_size=8, in_channels=3, out_channels=3, layers_per_block=1,
                   block_out_channels=(8, 16), norm_num_groups=4,
                   down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"))
pipe = DDIMPipeline(unet=unet, scheduler=DDIMScheduler(num_train_timesteps=10))
image = pipe(num_inference_steps=2, output_type="np").images[0]

with open("weights.bin", "wb") as handle:          # a large file: linked in the mirror
    handle.write(b"26 bytes of a new checkpt\\n")
with open("data/deep/deeper/deepest/far.txt", "a") as handle:   # through a linked folder
    handle.write("appended")
os.replace("data/small.txt", "data/moved.txt")
os.remove("data/deep/deeper/deepest/gone.txt")
subprocess.run(["git", "add", "-A"], check=False)
subprocess.run(["git", "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "from the run"], check=False)
with open(os.path.join(USER_TREE, "absolute.txt"), "w") as handle:  # refused
    handle.write("x")
'''


def snapshot(root: pathlib.Path) -> dict:
    found = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if path.is_symlink():
            found[relative] = "link:" + os.readlink(path)
        elif path.is_file():
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[relative] = "dir"
    return found


@pytest.fixture
def user_tree(tmp_path):
    root = tmp_path / "project"
    deepest = root / "data" / "deep" / "deeper" / "deepest"
    deepest.mkdir(parents=True)
    (root / "weights.bin").write_bytes(os.urandom(2 << 20))  # over the mirror's copy limit
    (root / "data" / "small.txt").write_text("small")
    (deepest / "far.txt").write_text("far")
    (deepest / "gone.txt").write_text("stays")
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(root), "-c", "user.name=u", "-c", "user.email=u@u", "commit", "-qm", "init"],
                       check=True)
    return root


def test_verify_leaves_the_users_tree_and_git_byte_identical(user_tree, verify_server):
    (user_tree / "script.py").write_text(HOSTILE.replace("USER_TREE", repr(str(user_tree))))
    if shutil.which("git"):
        subprocess.run(["git", "-C", str(user_tree), "add", "script.py"], check=True)
        subprocess.run(["git", "-C", str(user_tree), "-c", "user.name=u", "-c", "user.email=u@u", "commit",
                        "-qm", "script"], check=True)
    before = snapshot(user_tree)
    outputs = user_tree.parent / "outputs"
    findings = verify_paths([user_tree / "script.py"], verify_server, timeout=120, devices=("cpu",),
                            keep_outputs=str(outputs))
    verdict = findings["script.py"][0].extra["verification"]
    assert snapshot(user_tree) == before
    # The run did its writes (in scratch) and stopped only at the absolute path into the tree.
    assert "may not write" in verdict.get("reason", "") + str(verdict), verdict
    written = next(outputs.rglob("weights.bin"))
    assert written.read_bytes() == b"26 bytes of a new checkpt\n"
    assert next(outputs.rglob("far.txt")).read_text() == "farappended"


def test_a_write_through_a_link_is_copied_up_in_scratch(tmp_path):
    user = tmp_path / "user"
    (user / "folder").mkdir(parents=True)
    (user / "big.bin").write_bytes(b"original")
    (user / "folder" / "inner.txt").write_text("inner")
    scratch = tmp_path / "run" / "work"
    scratch.mkdir(parents=True)
    os.symlink(user / "big.bin", scratch / "big.bin")
    os.symlink(user / "folder", scratch / "folder")
    isolation = Isolation(str(scratch), [str(user)])
    isolation._guard(str(scratch / "big.bin"), follow=True, keep_content=True)
    assert not (scratch / "big.bin").is_symlink() and (scratch / "big.bin").read_bytes() == b"original"
    isolation._guard(str(scratch / "folder" / "new.txt"), follow=True, keep_content=True)
    assert not (scratch / "folder").is_symlink() and (scratch / "folder" / "inner.txt").is_symlink()
    with pytest.raises(PermissionError, match="may not write"):
        isolation._guard(str(user / "big.bin"), follow=True, keep_content=True)
    isolation._guard(str(tmp_path / "elsewhere.txt"), follow=True, keep_content=True)  # not the user's tree


def test_the_protected_roots_are_the_scripts_folder_and_its_repository(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "scripts").mkdir()
    roots = protected_roots(str(tmp_path / "repo" / "scripts" / "run.py"))
    assert roots == tuple(sorted({str((tmp_path / "repo").resolve()), str((tmp_path / "repo" / "scripts").resolve())}))
