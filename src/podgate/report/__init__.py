"""Writers of scan results: text, JSON, SARIF, JUnit XML, PolicyReport and HTML. Each module
takes a ScanResult and returns text (or a value to serialise); none reads input."""
