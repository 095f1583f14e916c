"""The README's "Use it headless" commands run as written (a worked example nobody checks rots)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("readme")


def headless_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Use it headless"):]
    section = section[: section.index("\n## ", 5)]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    commands = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_readme_has_the_commands_this_test_runs():
    cmds = headless_commands()
    verbs = [c.split()[3] for c in cmds if c.startswith(".venv/bin/python -m core")]
    assert verbs == ["profile", "strategies", "resample", "evaluate", "apply", "apply", "recipe"]


def test_headless_worked_example(tmp_path):
    (tmp_path / "data").symlink_to(ROOT / "data")
    env_vars: dict[str, str] = {}
    # the "larger catalog" of the example: the sample plus a copy of its first 500 rows
    sample = pd.read_csv(ROOT / "data" / "amazon_uk_toys_catalog.csv", dtype=str, keep_default_na=False)
    pd.concat([sample, sample.iloc[:500]]).to_parquet(tmp_path / "full_catalog.parquet", index=False)
    outputs = {}
    for line in headless_commands():
        if line.startswith("unzip"):
            # the app's bundle holds the recipe that `resample --recipe-out` wrote above
            assert (tmp_path / "recipe.json").is_file()
            continue
        if re.match(r"^[A-Z]+=", line):
            for assignment in line.split(";"):
                key, value = assignment.strip().split("=", 1)
                env_vars[key] = value
            continue
        for key, value in env_vars.items():
            line = line.replace(f"${key}", value)
        argv = shlex.split(line)
        assert argv[0] == ".venv/bin/python"
        argv[0] = sys.executable
        if argv[3] in ("apply",) and "balanced.csv" in argv:
            outputs["resample_csv"] = (tmp_path / "balanced.csv").read_bytes()
        proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=900,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})  # as if run from the repo root
        assert proc.returncode == 0, (line, proc.stderr[-2000:])
        outputs[argv[3] + str(len(outputs))] = proc
    # the replay on the same input gives the same bytes as the run that wrote the recipe
    assert (tmp_path / "balanced.csv").read_bytes() == outputs["resample_csv"]
    larger = pd.read_parquet(tmp_path / "balanced.parquet")
    assert larger["skewlab_row"].max() >= len(sample)  # rows beyond the sample: the larger catalog was replayed
    warnings = [p.stderr for k, p in outputs.items() if k.startswith("apply")]
    assert any("fingerprint" in w for w in warnings)
    assert (tmp_path / "recipe.json").is_file()
