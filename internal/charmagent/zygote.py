"""A Python that has imported ops, and forks a hook from itself.

The agent starts it once (python zygote.py SOCKET CHARM_DIR) with the
charm's own venv, where charmcraft's dispatch would start a new Python for
every hook. For each hook the agent sends, on a connection to SOCKET, the
hook's environment, working directory, argv and script, with its stdout
and stderr as file descriptors; the zygote forks, and the child becomes
the hook as dispatch's exec would make it: the same environment and
sys.path, the script run as __main__. The zygote answers the child's pid,
then its exit code. What a hook pays for Python's start and ops' import is
paid once (zygote.go says when the agent uses it).
"""

import atexit
import json
import os
import runpy
import socket
import sys
import threading


def main(path: str, charm_dir: str) -> None:
    # sys.path as `python src/charm.py` under dispatch's PYTHONPATH has
    # it: the script's directory, then lib and src.
    src, lib = os.path.join(charm_dir, 'src'), os.path.join(charm_dir, 'lib')
    sys.path[0:1] = [src, lib, src]
    try:
        import ops  # noqa: F401 (imported once, for every hook)
        import ops.main  # noqa: F401
    except ImportError:
        pass  # a charm without ops gets no head start, and runs the same

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    print('ready', flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            try:
                serve(server, conn)
            except OSError:
                pass  # the agent hung up: the next hook asks anew


def serve(server: socket.socket, conn: socket.socket) -> None:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 2)
    request = json.loads(data)
    pid = os.fork()
    if pid == 0:
        server.close()
        conn.close()
        run(request, fds)
    for fd in fds:
        os.close(fd)
    conn.sendall(json.dumps({'pid': pid}).encode() + b'\n')
    _, status = os.waitpid(pid, 0)
    conn.sendall(json.dumps({'exit': os.waitstatus_to_exitcode(status)}).encode() + b'\n')


def run(request: dict, fds: list) -> None:
    """The child: the hook, as dispatch would have exec'd it."""
    code = 1
    try:
        os.setsid()  # a group of its own, which the agent kills whole
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in fds:
            os.close(fd)
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        sys.argv = request['argv']
        runpy.run_path(request['script'], run_name='__main__')
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int) and e.code is not None:
            print(e.code, file=sys.stderr)
    except BaseException:
        # As the interpreter would: ops' hook logs it through juju-log.
        sys.excepthook(*sys.exc_info())
    finally:
        try:
            # As the interpreter ends: its threads, then its exit handlers
            # (logging's, ops' tracing).
            threading._shutdown()
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
