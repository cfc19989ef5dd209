Feature: Your charm's secrets and resources, through ops' own API

  The tool-check charm (fixtures/charms/toolcheck) adds an application
  secret and a unit secret at install, changes the first twice in the same
  hook (one revision, as Juju 3.6 coalesces them), and logs what ops reads
  back. It fetches its file resource and logs it, or logs why it cannot.

  Background:
    Given the charm in "../fixtures/charms/toolcheck"

  Scenario: the charm's secrets, as the controller holds them
    When the charm is deployed
    Then the charm's secret "db-pass" has "password" set to "third"
    And the charm's secret "unit-token" has "token" set to "abc"
    And the charm logged "secret info: revision 1, label db-pass, the database"

  Scenario: a resource attached before the deploy is where resource-get says
    Given the charm's resource "motd" is "testdata/motd.txt"
    When the charm is deployed
    Then the charm logged "motd: welcome aboard"

  Scenario: a resource nothing was attached to fails resource-get, as in Juju
    When the charm is deployed
    Then the charm logged "no motd: ERROR could not download resource: no file was attached to resource"
