Feature: a run compared with the model

  Scenario: a service runs
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "srv" to "app":
      """
      services:
        srv: {override: replace, startup: enabled, command: /usr/bin/workload}
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then service "srv" in "app" is active within 5s
