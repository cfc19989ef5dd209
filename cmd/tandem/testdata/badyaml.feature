Feature: a layer whose YAML is wrong
  Scenario: a tab in the indentation
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "l" to "app":
      """
      services:
        api:
      	override: replace
      """
    When the charm is deployed
