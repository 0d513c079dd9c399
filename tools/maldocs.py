"""Scan the real malware documents in ../shared/corpus/maldocs from memory, and the benign

The work is in testkit/maldocs.py
(shared with the tests); run `python tools/maldocs.py --help`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.maldocs import main

if __name__ == "__main__":
    sys.exit(main())
