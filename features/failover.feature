Feature: Containers, pods and nodes come back; the charm is told
  A dead container is restarted with its API layers gone; a deleted pod is
  recreated with the same name and an upgrade-charm; a failed node's pod
  waits for a force delete before it is replaced.

  Background:
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "srv" to "app":
      """
      services:
        srv:
          override: replace
          startup: enabled
          command: /usr/bin/workload --record=srv
      """
    And on "app-pebble-ready", the charm replans "app"

  @R3.2 @needs-container-restart
  Scenario: a killed container comes back, loses its API layers, and the charm re-adds them
    When the charm is deployed
    Then service "srv" in "app" is active within 20s
    And the workload recorded 1 start of "srv" in "app" within 5s
    When the charm adds layer "extra" to "app":
      """
      services:
        extra: {override: replace, command: /usr/bin/workload}
      """
    And container "app" is killed
    Then container "app" has restarted 1 time within 30s
    And the charm received "app-pebble-ready" 2 times within 15s
    And service "srv" in "app" is active within 5s
    And the workload recorded 2 starts of "srv" in "app" within 5s

  @R3.5 @needs-container-restart
  Scenario: the charm container restarting runs start again, and makes every workload pebble-ready again
    When the charm is deployed
    Then the charm received "app-pebble-ready" 1 time within 20s
    When container "charm" is killed
    Then container "charm" has restarted 1 time within 30s
    And the charm received "start" 2 times within 15s
    And the charm received "app-pebble-ready" 2 times within 15s

  @R3.6 @R2.5 @needs-pod-delete
  Scenario: a deleted pod is recreated: upgrade-charm, then pebble-ready, the layer re-added
    When the charm is deployed
    Then service "srv" in "app" is active within 20s
    When the pod is deleted
    Then the charm received these events within 60s:
      """
      install
      leader-elected
      config-changed
      start
      app-pebble-ready
      upgrade-charm
      config-changed
      start
      app-pebble-ready
      """
    And service "srv" in "app" is active within 5s
    And the workload recorded 1 start of "srv" in "app" within 5s
    And container "app" has restarted 0 times

  @R3.7 @needs-nodes
  Scenario: a failed node's pod is not replaced until it is force-deleted
    When the charm is deployed as 2 units on 2 nodes
    Then the units run on 2 different nodes
    When the node running the pod fails
    Then the pod is Terminating within 10m
    And the pod is still on the failed node
    When the pod is force-deleted
    Then the pod runs on another node within 60s
    And the charm received "upgrade-charm" within 30s

  @R3.7 @needs-nodes @needs-storage @needs-long-waits
  Scenario: a unit with a node-bound volume stays with its dead node
    Given the charm has storage "data" mounted in "app" at "/var/lib/app"
    When the charm is deployed on 2 nodes
    And the node running the pod fails
    And 10m pass
    And the pod is force-deleted
    And 5m pass
    Then the pod is Pending
