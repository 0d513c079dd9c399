"""Generate the bundled `samples/` deterministically (fixed dates, ids and boundaries).

The work is in testkit/samples.py
(shared with the tests); run `python tools/make_samples.py --help`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.samples import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
