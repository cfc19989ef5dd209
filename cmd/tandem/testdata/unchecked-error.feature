Feature: an action error nobody checks
  Scenario: the push fails and the scenario does not say so
    Given a charm "demo" with workload container "app"
    When the charm is deployed
    And the charm pushes "/no/such/dir/f" to "app":
      """
      x
      """
