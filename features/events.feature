Feature: The events the charm receives
  The charm side polls each workload Pebble's boot id and fires
  <container>-pebble-ready when it changes; notices become events; a new
  unit goes through install, a recreated pod through upgrade-charm.

  @R2.5 @R2.1 @R1.2
  Scenario: a new unit's lifecycle, then each pebble-ready
    Given a charm "demo" with workload containers "web" and "db"
    When the charm is deployed as 2 units
    Then the charm received these events within 20s:
      """
      install
      leader-elected
      config-changed
      start
      db-pebble-ready
      web-pebble-ready
      """
    And the charm can connect to "web"
    Given the steps act on unit "demo/1"
    Then the charm received these events within 20s:
      """
      install
      config-changed
      start
      db-pebble-ready
      web-pebble-ready
      """

  @R2.1 @R1.5 @needs-container-restart
  Scenario: a restarted container is pebble-ready again
    Given a charm "demo" with workload container "app"
    When the charm is deployed
    Then the charm received "app-pebble-ready" 1 time within 20s
    When container "app" is killed
    Then the charm received "app-pebble-ready" 2 times within 30s
    And container "app" has restarted 1 time within 5s

  @R2.2
  Scenario: a custom notice becomes an event
    Given a charm "demo" with workload container "app"
    And on "app-pebble-custom-notice", the charm pushes "/etc/noticed" to "app":
      """
      yes
      """
    When the charm is deployed
    Then the charm received "app-pebble-ready" within 20s
    When the charm records custom notice "example.com/backup-done" in "app"
    Then the charm received "app-pebble-custom-notice" 1 time within 5s
    And file "/etc/noticed" in "app" contains "yes" within 2s

  @R2.6
  Scenario: a charm acting before Pebble answers cannot connect
    Given a charm "demo" with workload container "app"
    And on "install", the charm adds layer "early" to "app":
      """
      services:
        srv: {override: replace, command: /usr/bin/workload}
      """
    When the charm is deployed without waiting
    Then the charm cannot connect to "app"
    And the charm can connect to "app" within 20s
    And the charm received "install" within 20s
    And the charm's "install" handler succeeded
