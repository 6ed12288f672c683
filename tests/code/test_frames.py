import pytest

from models.frames import FRAME_KEYS, FRAMES, validate_labels


def test_four_frames_with_descriptions():
    assert FRAME_KEYS == ("sectarian_polarization", "state_failure", "foreign_intervention", "humanitarian")
    assert all(frame.description for frame in FRAMES)


def test_validate_labels_orders_and_rejects():
    assert validate_labels(["humanitarian", "state_failure"]) == ["state_failure", "humanitarian"]
    assert validate_labels([]) == []
    with pytest.raises(ValueError, match="unknown frame"):
        validate_labels(["sectarianism"])
    with pytest.raises(ValueError, match="duplicate"):
        validate_labels(["humanitarian", "humanitarian"])
    with pytest.raises(ValueError, match="list"):
        validate_labels("humanitarian")
