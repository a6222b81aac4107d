from dangjian_rules.cli import main

raise SystemExit(main())
