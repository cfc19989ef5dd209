"""Reads a JUnit report as CI tools do, and prints what they would see.

It validates the report against the JUnit schema Jenkins' xUnit plugin
reads (junit-10.xsd, as pytest's own tests use it), then parses it with
junitparser and prints, as JSON, the totals it declares, the totals
junitparser counts from the cases, and each case's result and message.
"""
import json
import sys

import junitparser
import xmlschema

report, xsd = sys.argv[1], sys.argv[2]
xmlschema.XMLSchema(xsd).validate(report)

xml = junitparser.JUnitXml.fromfile(report)
declared = {'tests': xml.tests, 'failures': xml.failures, 'errors': xml.errors, 'skipped': xml.skipped}
cases = {}
for suite in xml:
    for case in suite:
        results = [{'kind': type(r).__name__, 'message': r.message or ''} for r in case.result]
        cases[case.name] = results
xml.update_statistics()
counted = {'tests': xml.tests, 'failures': xml.failures, 'errors': xml.errors, 'skipped': xml.skipped}
json.dump({'declared': declared, 'counted': counted, 'cases': cases}, sys.stdout)
