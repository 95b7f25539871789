"""pyproject.toml as setuptools reads it: nothing in it that an install warns about."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
# The first setuptools that reads `project.license` as an SPDX string (PEP 639); from it on, the older
# `license = { text = ... }` table prints a deprecation warning on every install.
SPDX_LICENSE_SETUPTOOLS = "77.0.0"


def test_the_license_is_an_spdx_expression_and_the_build_floor_reads_it():
    pyproject = tomllib.loads(PYPROJECT.read_text())
    license_ = pyproject["project"]["license"]
    assert isinstance(license_, str), f"project.license is a {type(license_).__name__}, not an SPDX string"
    assert canonicalize_license_expression(license_) == license_
    setuptools = next(Requirement(item) for item in pyproject["build-system"]["requires"]
                      if Requirement(item).name == "setuptools")
    oldest = [version for version in ("65.5.0", "68.0.0", "76.1.0", SPDX_LICENSE_SETUPTOOLS)
              if setuptools.specifier.contains(version)]
    assert oldest == [SPDX_LICENSE_SETUPTOOLS], f"build-system allows {setuptools}"
