Feature: must fail: pods, nodes and the cluster

  Background:
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "web" to "app":
      """
      services:
        web: {override: replace, startup: enabled, command: /usr/bin/workload --http=8080 --health-file=/tmp/down}
      checks:
        ready:
          override: replace
          level: ready
          period: 500ms
          threshold: 1
          http: {url: "http://localhost:8080/health"}
      """
    And on "app-pebble-ready", the charm replans "app"

  @needs-prober
  Scenario: pod readiness
    When the charm is deployed
    Then the pod is not ready within 3s

  @needs-prober
  Scenario: the Service's endpoints
    When the charm is deployed
    Then the pod's address in the Service is not serving within 3s

  @needs-prober
  Scenario: the cluster's events
    When the charm is deployed
    And the workload in "app" turns unhealthy
    Then the cluster reported "Unhealthy: Liveness probe failed" for container "app" within 10s

  @needs-nodes
  Scenario: pod phase
    When the charm is deployed on 2 nodes
    Then the pod is Pending within 3s

  @needs-nodes
  Scenario: another node
    When the charm is deployed on 2 nodes
    And the node running the pod fails
    Then the pod runs on another node within 30s

  @needs-nodes
  Scenario: still on the failed node
    When the charm is deployed on 2 nodes
    And the node running the pod fails
    Then the pod is Terminating within 10m
    When the pod is force-deleted
    And 60s pass
    Then the pod is still on the failed node

  @needs-nodes
  Scenario: one node each
    When the charm is deployed on 2 nodes
    And the node running the pod fails
    And 60s pass
    Then every unit's containers run on one node

  @needs-nodes
  Scenario: operator and workload apart
    When the charm is deployed the podspec way on 1 node
    Then the operator pod and the workload pod run on different nodes

  @needs-nodes
  Scenario: spread
    When the charm is deployed as 2 units on 2 nodes
    Then the units run on 1 different nodes
