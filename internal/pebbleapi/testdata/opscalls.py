"""Drive a Pebble through ops' own client and print each answer's shape.

Usage: python opscalls.py SOCKET WORKLOAD PORT

Each call is one ops.pebble.Client method a charm uses; ops must parse
its answer (an exception fails the call). What is printed, as JSON, is
for each call the shape of the raw JSON answers ops read: the keys and
the types of the values, not the values, so a model's answers can be
compared with real Pebble's.
"""

import json
import sys

import ops.pebble

socket, workload, port = sys.argv[1], sys.argv[2], sys.argv[3]
client = ops.pebble.Client(socket_path=socket)

raw = []
_request = client._request


def recording(*args, **kwargs):
    resp = _request(*args, **kwargs)
    raw.append(resp)
    return resp


client._request = recording


def shape(v, key=None):
    if key == 'environment':
        return 'environment'  # its variables are the machine's
    if isinstance(v, dict):
        return {k: shape(x, k) for k, x in sorted(v.items())}
    if isinstance(v, list):
        # Each kind of element once, in a fixed order: Pebble lists some
        # things (changes) in no defined order.
        kinds = {json.dumps(shape(x), sort_keys=True) for x in v}
        return [json.loads(k) for k in sorted(kinds)]
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, (int, float)):
        return 'number'
    if v is None:
        return 'null'
    return 'string'


LAYER = {
    'services': {
        'srv': {'override': 'replace', 'startup': 'enabled', 'command': workload + ' --http=' + port},
    },
    'checks': {
        'up': {'override': 'replace', 'level': 'alive', 'http': {'url': 'http://localhost:' + port + '/health'}},
    },
}

out = {}


def call(name, fn):
    del raw[:]
    try:
        fn()
        out[name] = [shape(r) for r in raw]
    except Exception as e:  # the failure is the finding
        out[name] = 'error: %s' % type(e).__name__
        sys.stderr.write('%s: %s: %s\n' % (name, type(e).__name__, e))


state = {}
call('get_system_info', lambda: client.get_system_info())
call('add_layer', lambda: client.add_layer('base', LAYER))
call('get_plan', lambda: client.get_plan())
call('replan_services', lambda: state.__setitem__('change', client.replan_services()))
call('get_change', lambda: client.get_change(state['change']))
call('get_changes', lambda: client.get_changes(ops.pebble.ChangeState.ALL))
call('get_warnings', lambda: client.get_warnings())
call('get_identities', lambda: client.get_identities())
call('get_services', lambda: client.get_services())
call('stop_services', lambda: client.stop_services(['srv']))
call('start_services', lambda: client.start_services(['srv']))
call('restart_services', lambda: client.restart_services(['srv']))
call('get_checks', lambda: client.get_checks())
call('push', lambda: client.push('/tmp/tandem-opscalls/conf/app.conf', 'port 1\n', make_dirs=True, permissions=0o600))
call('pull', lambda: client.pull('/tmp/tandem-opscalls/conf/app.conf').read())
call('list_files', lambda: client.list_files('/tmp/tandem-opscalls/conf'))
call('make_dir', lambda: client.make_dir('/tmp/tandem-opscalls/data/cache', make_parents=True))
call('remove_path', lambda: client.remove_path('/tmp/tandem-opscalls', recursive=True))
call('notify', lambda: state.__setitem__('notice', client.notify(ops.pebble.NoticeType.CUSTOM, 'example.com/done', data={'k': 'v'})))
call('get_notices', lambda: client.get_notices(types=[ops.pebble.NoticeType.CUSTOM]))
call('get_notice', lambda: client.get_notice(state['notice']))
call('send_signal', lambda: client.send_signal('SIGHUP', ['srv']))
call('exec', lambda: client.exec([workload, '--exit-after=0s', '--print=pong']).wait_output())
call('exec_failing', lambda: client.exec([workload, '--exit-after=0s', '--exit-code=3']).wait())
call('pull_missing', lambda: client.pull('/tmp/tandem-opscalls/none'))

json.dump(out, sys.stdout, indent=1, sort_keys=True)
