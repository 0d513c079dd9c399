"""Write a folder of hostile inputs: every shape that once crashed, hung or fooled mailcheck.

The work is in testkit/hostile.py
(shared with the tests); run `python tools/hostile_corpus.py --help`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.hostile import main

if __name__ == "__main__":
    sys.exit(main())
