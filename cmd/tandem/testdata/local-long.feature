Feature: a long local run, to be interrupted
  Scenario: waits
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "srv" to "app":
      """
      services:
        srv: {override: replace, startup: enabled, command: /usr/bin/workload --ignore-sigterm --http=8080}
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    And 60s pass
