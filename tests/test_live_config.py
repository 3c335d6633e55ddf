"""Live thresholds (posturecheck.live.config)."""

from __future__ import annotations

import pytest

from posturecheck.live import LiveConfig


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="min_height_frac"):
        LiveConfig(min_height_frac=0.9, max_height_frac=0.5)
    with pytest.raises(ValueError, match="min_visibility"):
        LiveConfig(min_visibility=1.5)
    with pytest.raises(ValueError, match="rep_min_depth"):
        LiveConfig(rep_min_depth=0.0)
