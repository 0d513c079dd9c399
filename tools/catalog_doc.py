"""Write docs/findings.md, the finding catalogue, from mailcheck/catalog/findings.toml.

The work is in testkit/catalog_doc.py (shared with the tests);
run `python tools/catalog_doc.py --help`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.catalog_doc import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
