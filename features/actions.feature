Feature: What Pebble does when a service exits: on-success and on-failure
  Each service's action on exit, seen in Pebble's own words. No other
  service runs beside it: a service crashing on a timer of its own could
  exit in the same few milliseconds and race the shutdown (a kind soak saw
  exactly that when this outline shared restart.feature's crashing service,
  and an idle local soak saw it race the shutdown scenario below there).

  Background:
    Given a charm "demo" with workload container "app"

  @R5.3
  Scenario Outline: on-success and on-failure actions
    Given on "start", the charm adds layer "exits" to "app":
      """
      services:
        exits:
          override: replace
          command: /usr/bin/workload --exit-after=1200ms --exit-code=<code>
          <field>: <action>
      """
    When the charm is deployed
    And the charm starts "exits" in "app"
    Then Pebble in "app" logged '<log>' within 5s

    Examples:
      | code | field      | action           | log                                                                          |
      | 0    | on-success | ignore           | Service "exits" on-success action is "ignore", not doing anything further     |
      | 3    | on-failure | ignore           | Service "exits" on-failure action is "ignore", not doing anything further     |
      | 0    | on-success | restart          | Service "exits" on-success action is "restart", waiting ~500ms before restart |
      | 0    | on-success | failure-shutdown | Service "exits" on-success action is "failure-shutdown", triggering failure shutdown |
      | 3    | on-failure | success-shutdown | Service "exits" on-failure action is "success-shutdown", triggering success shutdown |

  @R5.3 @R3.2 @needs-container-restart
  Scenario: a shutdown action makes Pebble exit, and the container comes back
    Given on "start", the charm adds layer "fatal" to "app":
      """
      services:
        fatal:
          override: replace
          command: /usr/bin/workload --exit-after=1500ms --exit-code=0
          on-success: shutdown
      """
    When the charm is deployed
    And the charm starts "fatal" in "app"
    Then Pebble in "app" logged 'Service "fatal" on-success action is "shutdown", triggering success shutdown' within 5s
    And container "app" has restarted 1 time within 30s
    And the charm received "app-pebble-ready" 2 times within 15s
