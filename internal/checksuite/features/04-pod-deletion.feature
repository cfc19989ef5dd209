Feature: A deleted pod comes back, and the charm rebuilds everything

  A deleted pod (a drained node, a rolling update) comes back with the same
  name, a new charm directory and new workload containers: stored state is
  gone, and Juju runs upgrade-charm, config-changed, start and each
  pebble-ready on the new pod. The charm must rebuild the unit from its
  config and relations alone.

  Scenario: the pod deleted: upgrade-charm on a new pod, stored state gone, restores everything
    When the charm is deployed
    Then the unit settles within 60s
    When the unit's state is noted
    And the pod is deleted
    Then since the state was noted, the charm received "upgrade-charm" within 60s
    And the unit settles within 60s
    And the unit's state is as noted
