"""The stream settings: defaults, and values refused with the variable's name."""

from __future__ import annotations

import pytest

from feed.config import Settings
from feed.errors import InvalidArgument


def test_streams_are_served_on_their_own_port_by_default():
    settings = Settings.from_env({})
    assert (settings.stream_addr, settings.stream_max) == ("127.0.0.1:50053", 20_000)


@pytest.mark.parametrize(
    ("env", "named"),
    [({"FEED_STREAM_MAX": "0"}, "FEED_STREAM_MAX"), ({"FEED_STREAM_ADDR": "50053"}, "FEED_STREAM_ADDR")],
)
def test_a_stream_setting_out_of_range_is_refused_naming_it(env, named):
    with pytest.raises(InvalidArgument, match=named):
        Settings.from_env(env)
