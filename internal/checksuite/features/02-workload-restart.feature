Feature: A workload container that restarts gets its plan back

  When a workload container dies (its process crashed, the kubelet killed
  it for memory or a failed probe), it starts again with a new Pebble and
  an empty plan. Its layers are the charm's to give again: Juju sends
  <container>-pebble-ready for the new Pebble. A charm that gives its
  layer only once (on the first pebble-ready, say, remembered in stored
  state) leaves the workload down.

  Scenario: each workload container killed in turn: the charm restores its plan, its services and its status
    When the charm is deployed
    Then the unit settles within 60s
    When the unit's state is noted
    And each workload container is killed in turn, the unit settling after each within 60s
    Then after each kill, the unit's state was as noted
