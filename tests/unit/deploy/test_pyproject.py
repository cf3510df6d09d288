"""The build the Dockerfile and `make` run (`pip install .`) with the oldest setuptools pyproject.toml allows."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[3]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_the_oldest_setuptools_allowed_reads_the_license_as_written() -> None:
    """`license = "Apache-2.0"` (an SPDX expression, PEP 639) is read by setuptools 77 and later; setuptools 75 and
    76, which `setuptools>=75` allowed, refused pyproject.toml ("`project.license` must be valid exactly by one
    definition"), so a build with a pinned or system setuptools failed."""
    if isinstance(PROJECT["project"].get("license"), str):
        setuptools = next(Requirement(r) for r in PROJECT["build-system"]["requires"] if r.startswith("setuptools"))
        assert not setuptools.specifier.contains(Version("76.1")), setuptools
        assert setuptools.specifier.contains(Version("77.0.3"))
