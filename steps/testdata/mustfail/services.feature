Feature: must fail: services, ports and counts
  Every scenario here must fail on sim, with the message the table in
  steps/mustfail_test.go names.

  Background:
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "srv" to "app":
      """
      services:
        srv: {override: replace, startup: enabled, command: /usr/bin/workload --tcp=6379 --record=srv}
        idle: {override: replace, command: /usr/bin/workload}
      """
    And on "app-pebble-ready", the charm replans "app"

  Scenario: status within
    When the charm is deployed
    Then service "idle" in "app" is active within 2s

  Scenario: status at once
    When the charm is deployed
    Then service "srv" in "app" is inactive

  Scenario: port listening within
    When the charm is deployed
    Then port 7000 is listening in the pod within 2s

  Scenario: port not listening
    When the charm is deployed
    Then port 6379 is not listening in the pod

  Scenario: started count never reached
    When the charm is deployed
    Then service "srv" in "app" was started 2 times within 3s

  Scenario: started count that does not stay
    When the charm is deployed
    And the charm restarts "srv" in "app"
    Then service "srv" in "app" was started 1 time and stays so for 2s

  Scenario: started count past the number at once
    When the charm is deployed
    And the charm restarts "srv" in "app"
    And 1s passes
    Then service "srv" in "app" was started 1 time

  Scenario: workload's record never reached
    When the charm is deployed
    Then the workload recorded 3 starts of "srv" in "app" within 2s

  Scenario: restart count never reached
    When the charm is deployed
    Then container "app" has restarted 1 time within 5s

  Scenario: logged within
    When the charm is deployed
    Then Pebble in "app" logged 'Service "idle" starting' within 2s

  Scenario: has not logged
    When the charm is deployed
    Then Pebble in "app" has not logged 'Service "srv" starting'

  Scenario: can connect
    When the charm is deployed
    Then the charm cannot connect to "app" within 1s
