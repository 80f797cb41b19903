import sys

from runcard._cli import main

sys.exit(main())
