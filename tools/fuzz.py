"""Long mutation runs over real mail: count inputs, crashes, hangs and the slowest input.

The work is in testkit/fuzzing.py
(shared with the tests); run `python tools/fuzz.py --help`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.fuzzing import main

if __name__ == "__main__":
    sys.exit(main())
