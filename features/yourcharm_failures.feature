Feature: Your charm fails a hook: Juju's error state and retries

  Scenario: a handler that raises puts the unit in error, and Juju retries the hook until it succeeds
    Given the charm in "../fixtures/charms/flaky"
    When the charm is deployed without waiting
    Then the unit's status is "error" with message 'hook failed: "install"' within 30s
    And the charm's "install" handler failed with "RuntimeError: the database is not there yet (attempt 1)"
    Then the unit's status is "active" with message "installed" within 30s
    And the charm received "install" 3 times
