Feature: Each Pebble check fails, then recovers

  Pebble runs the checks in the charm's plan; Juju tells the charm when one
  reaches its failure threshold (<container>-pebble-check-failed) and when
  it passes again (<container>-pebble-check-recovered). What the charm does
  about it is its own choice: this check reports it, and fails only where
  a hook fails or the unit does not settle.

  Scenario: each Pebble check made to fail, then to recover: what the charm did
    When the charm is deployed
    Then the unit settles within 60s
    When each Pebble check is made to fail, then to recover, the unit settling after each within 60s
