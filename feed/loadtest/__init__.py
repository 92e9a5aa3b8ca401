"""Load tests that replay traffic, recorded or synthetic, against a running stack.

trace (the file format), messages (records <-> requests), graph and generate (synthetic
traces), record and proxy (recorded ones), schedule (open-loop timing), caller (the one
way calls go out), state, stats, visibility and runner (a replay), report (table, plots).
"""
