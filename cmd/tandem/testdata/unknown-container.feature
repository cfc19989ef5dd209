Feature: a scenario naming an unknown container
  Scenario: the handler acts on a container the charm does not have
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm replans "ghost"
    When the charm is deployed
