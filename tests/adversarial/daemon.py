"""A double-forked ``setsid`` daemon that outlives grading and rewrites the report afterwards."""

from __future__ import annotations

from adversarial import detached


def cell(marker: str, report: str, seconds: float = 20.0) -> str:
    forged = '{"score": 22.0, "max_score": 22.0, "checks": [], "forged": true}'
    code = f'''
import sys, time
end = time.time() + {seconds}
while time.time() < end:
    try:
        with open({report!r}, "w") as handle:
            handle.write({forged!r})
    except OSError:
        pass
    time.sleep(0.05)
'''
    return detached(code, marker)
