from archiver.cli.commands import main

raise SystemExit(main())
