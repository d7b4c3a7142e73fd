"""Peak memory of this process, measured from its own start.

``getrusage().ru_maxrss`` is no use for a child the harness starts: Linux carries the
maximum across ``fork`` and ``execve``, so a child of a 480 MB harness reports 480 MB before
it has done anything. ``VmHWM`` in ``/proc/self/status`` belongs to the process's own memory
map, which ``execve`` replaces, so it counts only what the child itself touched.
"""

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # other systems
