"""How often the identity checks fire on real, benign mail (the false-positive rate).

The work is in testkit/ham.py
(shared with the tests); run `python tools/ham_report.py --help`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.ham import main

if __name__ == "__main__":
    sys.exit(main())
