import sys

from archiver.cli.commands import main

sys.exit(main())
