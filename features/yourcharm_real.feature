@needs-images
Feature: Your charm with its real workloads: Debian's Redis and the snappass app

  With real-workloads set, the reference charm (fixtures/charms/snappass)
  pushes Redis's config and runs Debian's redis-server in tandem's Redis
  image, then the snappass app, whose /health (the charm's Pebble check)
  answers while Redis does. The model is told what each program does; the
  real substrates run them.

  Background:
    Given the charm in "../fixtures/charms/snappass"
    And the charm's config "real-workloads" is "true"
    And container "redis" runs image "tandem/redis"
    And container "snappass" runs image "tandem/snappass"
    And program "/usr/bin/redis-server" in container "redis" behaves like the workload tool with "--tcp=6379"
    And program "/usr/bin/snappass" in container "snappass" behaves like the workload tool with "--http=5000"
    And program "/usr/bin/snappass-check" in container "snappass" behaves like the workload tool with "--exit-after=0s --print=ok"

  @R7.1 @R7.4
  Scenario: deployed with real Redis: a secret goes through the app into Redis and back
    When the charm is deployed
    Then the unit's status is "active" with message "serving on 5000" within 30s
    And port 6379 is listening in the pod within 10s
    And check "snappass-up" in "snappass" is up within 20s
    And file "/etc/redis/redis.conf" in "redis" has permissions "600"
    When the charm runs "/usr/bin/snappass-check" in "snappass"
    Then the command printed "ok"
    And the charm received "snappass-pebble-check-failed" 0 times
