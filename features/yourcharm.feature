Feature: Your charm, for real: tandem as Juju's unit agent for an ops charm

  The reference charm (fixtures/charms/snappass) is Python with ops 3.9:
  tandem runs its dispatch in the charm container with Juju 3.6's
  environment and hook tools, in Juju's hook order, against real Pebble.
  These scenarios need the real-charm capability: every substrate has it, sim
  running the charm against the model's Pebble API in virtual time.

  Background:
    Given the charm in "../fixtures/charms/snappass"

  Scenario: deployed, it goes through Juju's hook order to active
    When the charm is deployed
    Then the unit's status is "active" with message "serving on 5000" within 20s
    And the charm received these events:
      """
      install
      snappass-peers-relation-created
      leader-elected
      config-changed
      start
      redis-pebble-ready
      snappass-pebble-ready
      """
    And service "redis" in "redis" is active
    And service "snappass" in "snappass" is active
    And port 5000 is listening in the pod
    And the workload version is "1.6.0"
    And the unit's opened ports are "5000/tcp"
    And the charm logged "Redis is up (its layer added 1 times in this pod)"

  Scenario: config set before the deploy, and changed after it
    Given the charm's config "port" is "5002"
    When the charm is deployed
    Then the unit's status is "active" with message "serving on 5002" within 20s
    When the operator sets config "port" to "5003"
    Then the unit's status is "active" with message "serving on 5003" within 10s
    And the charm received "config-changed" 2 times
    And port 5003 is listening in the pod within 5s
    And the unit's opened ports are "5003/tcp"

  Scenario: an action's results, and an action that fails
    When the charm is deployed
    And the operator runs action "get-url"
    Then the action completed
    And the action's result "url" is "http://127.0.0.1:5000"
    When the operator runs action "get-url" with params:
      """
      scheme: gopher
      """
    Then the action failed with message "no such scheme: gopher"

  Scenario: a killed workload container comes back, and the charm re-adds its layer
    When the charm is deployed
    Then service "redis" in "redis" is active within 20s
    When container "redis" is killed
    Then the charm received "redis-pebble-ready" 2 times within 20s
    And service "redis" in "redis" is active within 10s
    And the charm logged "Redis is up (its layer added 2 times in this pod)" within 10s

  Scenario: the charm container restarted: start, then pebble-ready for every container; stored state survives
    When the charm is deployed
    Then the unit's status is "active" within 20s
    When container "charm" is killed
    Then the charm received "start" 2 times within 20s
    And the charm received "snappass-pebble-ready" 2 times within 20s
    And the charm logged "Redis is up (its layer added 2 times in this pod)" within 10s

  Scenario: a deleted pod: stop on the old pod, then upgrade-charm and the rest on the new one; stored state starts afresh
    When the charm is deployed
    Then the unit's status is "active" within 20s
    When the pod is deleted
    Then the charm received "upgrade-charm" within 30s
    And the unit's status is "active" with message "serving on 5000" within 20s
    And the charm received "stop" 1 time
    And the charm received "snappass-pebble-ready" 2 times within 10s
    And the charm logged "Redis is up (its layer added 1 times in this pod)" 2 times within 10s
    And the charm logged "Redis is up (its layer added 2 times in this pod)" 0 times

  @R3.7 @needs-nodes
  Scenario: a failed node: once its pod is force-deleted, the unit comes back on the other node with upgrade-charm, its stored state gone
    When the charm is deployed on 2 nodes
    Then the unit's status is "active" with message "serving on 5000" within 30s
    When the node running the pod fails
    Then the pod is Terminating within 10m
    When the pod is force-deleted
    Then the pod runs on another node within 60s
    And the charm received "upgrade-charm" within 60s
    And the unit's status is "active" with message "serving on 5000" within 30s
    And the charm received "stop" 0 times
    And the charm logged "Redis is up (its layer added 1 times in this pod)" 2 times within 10s

  Scenario: an ingress related after the deploy: the charm gives its port, takes the url, and forgets it when the relation goes
    When the charm is deployed
    And "traefik" is related on "ingress" with 1 unit
    Then the charm's unit data on "ingress" has "port" set to "5000" within 15s
    When "traefik" sets "url" to "https://example.com/snappass" on "ingress"
    Then the charm logged "the ingress gives the url https://example.com/snappass" within 15s
    When the operator runs action "get-url"
    Then the action's result "url" is "https://example.com/snappass"
    When the relation on "ingress" is removed
    Then the charm logged "the ingress is gone" within 15s
    And the charm received "ingress-relation-departed" 1 time
    And the charm received "ingress-relation-broken" 1 time

  Scenario: an ingress related before the deploy is there from the start
    Given "traefik" is related on "ingress" with 2 units
    When the charm is deployed
    Then the charm received these events within 20s:
      """
      install
      snappass-peers-relation-created
      ingress-relation-created
      leader-elected
      config-changed
      start
      ingress-relation-joined
      ingress-relation-changed
      ingress-relation-joined
      ingress-relation-changed
      redis-pebble-ready
      snappass-pebble-ready
      """
    When "traefik/1" departs "ingress"
    Then the charm received "ingress-relation-departed" 1 time within 10s

  @R2.7
  Scenario: update-status on the interval the model sets, from each agent's start
    Given the model's update-status interval is 4s
    When the charm is deployed
    Then the charm received "update-status" within 10s
    When container "charm" is killed
    Then the charm received "start" 2 times within 20s
    And the charm received "update-status" 3 times within 15s

  Scenario: the charm's Pebble check fails and recovers: check-failed and check-recovered, and the status says so
    When the charm is deployed
    Then check "snappass-up" in "snappass" is up within 20s
    When the workload in "snappass" turns unhealthy
    Then the charm received "snappass-pebble-check-failed" 1 time within 10s
    And the charm logged "check snappass-up failed" within 5s
    And the unit's status is "maintenance" with message "snappass-up is down" within 5s
    When the workload in "snappass" turns healthy
    Then the charm received "snappass-pebble-check-recovered" 1 time within 10s
    And the unit's status is "active" within 5s

  @needs-long-waits
  Scenario: Redis crashes over and over: Pebble backs it off for five minutes
    When the charm is deployed
    Then the unit's status is "active" with message "serving on 5000" within 20s
    When the charm adds layer "crash" to "redis":
      """
      services:
        redis:
          override: merge
          command: /usr/bin/workload --tcp=6379 --exit-after=100ms --exit-code=1
      """
    And the charm replans "redis"
    And 5m pass
    Then Pebble in "redis" logged 'waiting ~30s before restart (backoff 7)'
    And service "redis" in "redis" is backoff
