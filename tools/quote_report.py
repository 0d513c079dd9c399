"""How the quoted-thread parser reads a folder of real mail.

The work is in testkit/quotes.py
(shared with the tests); run `python tools/quote_report.py --help`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.quotes import main

if __name__ == "__main__":
    sys.exit(main())
