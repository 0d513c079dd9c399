"""What the tests and the tools share, and neither installs: builders of fixture files
(Office documents, Outlook messages, payloads, the samples and the hostile-input folder),
the private Postfix harness, the fuzzing mutations and the readers of the shared corpora.

`tests/` and `tools/` both import from here and never from each other; `tools/` holds only
the runnable scripts.
"""
