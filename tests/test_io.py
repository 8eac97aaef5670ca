from pathlib import Path

import pytest

from convoy.document import canonical_json
from convoy.outputs.write import OutputExistsError, OutputFolderError, staged_outputs


def test_staged_outputs_moves_on_success(tmp_path: Path):
    """Files written in the staging folder land in the output folder."""
    out = tmp_path / "out"
    with staged_outputs(out, ["a.txt"], overwrite=False) as tmp:
        (tmp / "a.txt").write_text("x")
    assert (out / "a.txt").read_text() == "x"
    assert [p.name for p in out.iterdir()] == ["a.txt"]


def test_staged_outputs_leaves_nothing_on_failure(tmp_path: Path):
    """A failure inside the block leaves no partial output behind."""
    out = tmp_path / "out"
    with (
        pytest.raises(RuntimeError),
        staged_outputs(out, ["a.txt"], overwrite=False) as tmp,
    ):
        (tmp / "a.txt").write_text("x")
        msg = "boom"
        raise RuntimeError(msg)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_staged_outputs_refuses_existing_and_inputs(tmp_path: Path):
    """Existing outputs need overwrite; inputs are never replaced."""
    out = tmp_path
    (out / "a.txt").write_text("old")
    with (
        pytest.raises(OutputExistsError),
        staged_outputs(out, ["a.txt"], overwrite=False),
    ):
        pass
    with (
        pytest.raises(OutputFolderError),
        staged_outputs(out, ["a.txt"], overwrite=True, protect=[out / "a.txt"]),
    ):
        pass
    assert (out / "a.txt").read_text() == "old"


def test_canonical_json_is_stable():
    """Rounding hides last-bit differences, keys are sorted."""
    a = canonical_json({"y": 0.1 + 0.2, "x": 1})
    b = canonical_json({"x": 1, "y": 0.3})
    assert a == b
