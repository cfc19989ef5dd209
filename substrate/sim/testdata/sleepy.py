#!/usr/bin/env python3
"""snappass, waiting as it must not: install polls Redis with time.sleep.

A hook that sleeps waits in wall time. On sim, virtual time stands still
while a hook runs, so what it waits for never comes: tandem must name the
hook rather than hang (substrate/sim's TestAHookThatSleepsInWallTimeIsNamed).
"""

import socket
import time

import ops

from charm import REDIS_PORT, SnappassCharm


class SleepyCharm(SnappassCharm):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.install, self._wait_for_redis)

    def _wait_for_redis(self, event: ops.InstallEvent):
        while True:
            try:
                with socket.create_connection(('localhost', REDIS_PORT), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)


if __name__ == '__main__':
    ops.main(SleepyCharm)
