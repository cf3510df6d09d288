"""`make run` on a fresh machine: the Makefile's recipe for .venv/bin/python, run by bash as make runs it."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def venv_recipe() -> str:
    """The shell command of the `$(PY):` rule, with make's variables and `$$` replaced as make replaces them."""
    lines = (REPO / "Makefile").read_text().splitlines()
    start = lines.index("$(PY):") + 1
    recipe = []
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        recipe.append(line[1:].removesuffix("\\"))
    return " ".join(recipe).lstrip("@").replace("$(VENV)", ".venv").replace("$$", "$")


def test_a_venv_that_fails_half_way_is_removed_so_the_next_run_makes_it_again(tmp_path: Path) -> None:
    """Debian's python3.13 without python3.13-venv makes .venv/bin/python and then fails for want of ensurepip: the
    half-made venv stayed, make took .venv/bin/python as made, and every later `make run` failed on "No module
    named pip", even after the package was installed, until .venv was removed by hand."""
    python = tmp_path / "python3.13"
    python.write_text("#!/bin/sh\nmkdir -p .venv/bin && touch .venv/bin/python\n"
                      "echo 'ensurepip is not available' >&2; exit 1\n")
    python.chmod(0o755)
    (tmp_path / "deploy").mkdir()
    find_python = tmp_path / "deploy" / "find_python.sh"
    find_python.write_text(f"#!/bin/sh\necho {python}\n")
    find_python.chmod(0o755)
    done = subprocess.run(["bash", "-c", venv_recipe()], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0
    assert not (tmp_path / ".venv").exists(), "no .venv/bin/python that make would take as made"
    assert "python3.X-venv" in done.stderr
