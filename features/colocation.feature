Feature: A sidecar unit is one pod
  The charm and its workloads share a pod: one node, one network
  namespace, one charm-data volume.

  @R1.6 @needs-nodes
  Scenario: each unit's containers are on one node; units spread
    Given a charm "demo" with workload containers "web" and "db"
    When the charm is deployed as 3 units on 2 nodes
    Then the charm received "web-pebble-ready" within 20s
    And every unit's containers run on one node
    And the units run on 2 different nodes

  @R1.6
  Scenario: containers of a pod share a network namespace
    Given a charm "demo" with workload containers "web" and "db"
    And on "db-pebble-ready", the charm adds layer "db" to "db":
      """
      services:
        db: {override: replace, startup: enabled, command: /usr/bin/workload --tcp=5432}
      """
    And on "db-pebble-ready", the charm replans "db"
    And on "web-pebble-ready", the charm adds layer "web" to "web":
      """
      checks:
        db-reachable:
          override: replace
          period: 500ms
          threshold: 1
          tcp: {port: 5432}
      """
    When the charm is deployed
    Then service "db" in "db" is active within 20s
    And check "db-reachable" in "web" is up within 5s
    When the charm stops "db" in "db"
    Then check "db-reachable" in "web" is down within 5s

  @R1.6 @R1.2
  Scenario: a file a workload's Pebble writes to the shared volume is seen from the charm container
    Given a charm "demo" with workload containers "web" and "db"
    When the charm is deployed
    And the charm pushes "/charm/container/from-db.txt" to "db":
      """
      written in db
      """
    Then file "/charm/containers/db/from-db.txt" in "charm" contains "written in db"
    And file "/charm/containers/web/from-db.txt" in "charm" does not exist

  @R1.6 @needs-nodes
  Scenario: the older podspec pattern's pods can be split across nodes; a sidecar unit's cannot
    Given a charm "demo" with workload container "app"
    When the charm is deployed the podspec way on 2 nodes
    Then the operator pod and the workload pod run on different nodes
    When the charm is deployed as 2 units on 2 nodes
    Then every unit's containers run on one node

  @R1.6
  Scenario: the charm reaches a workload's port on localhost from its own container
    Given a charm "demo" with workload containers "web" and "db"
    And on "db-pebble-ready", the charm adds layer "db" to "db":
      """
      services:
        db: {override: replace, startup: enabled, command: /usr/bin/workload --tcp=5432}
      """
    And on "db-pebble-ready", the charm replans "db"
    And on "db-pebble-custom-notice", the charm connects to port 5432 of "db" on localhost
    And on "web-pebble-custom-notice", the charm connects to port 5433 of "db" on localhost
    When the charm is deployed
    Then service "db" in "db" is active within 20s
    And port 5432 is listening in the pod within 5s
    When the charm records custom notice "example.com/db-up" in "db"
    Then the charm received "db-pebble-custom-notice" within 10s
    And the charm's "db-pebble-custom-notice" handler succeeded
    When the charm records custom notice "example.com/nothing-there" in "web"
    Then the charm received "web-pebble-custom-notice" within 10s
    And the charm's "web-pebble-custom-notice" handler failed with "127.0.0.1:5433: connect: connection refused"
