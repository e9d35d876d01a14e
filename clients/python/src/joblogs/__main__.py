import sys

from joblogs.cli import main

sys.exit(main(sys.argv[1:]))
